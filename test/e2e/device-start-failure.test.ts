/**
 * A device that cannot start, as a desk meets it: `carrel start` (a child process) with a gate
 * (exit-1, listening for its notifications) and then a receipt printer whose simulator cannot
 * listen (its port held by another program), so the printer's start fails after the gate's
 * has opened its listener. The printer fails alone — offline, its health saying why — the gate
 * runs on, and SIGTERM stops the daemon, which exits. The daemon runs the compiled code in
 * dist/: `npm run build` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CarrelDaemon,
  startCarrelDaemon,
  stopDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';

let dir: string;
let held: Server;
let daemon: CarrelDaemon | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-device-start-'));
  // Another program holds the port the printer simulator is told to listen on.
  held = createServer();
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  const heldPort = (held.address() as { port: number }).port;
  const config = writeDaemonConfig(dir, 'start-failure', {
    simulators: [{ id: 'printer-sim', kind: 'printer', port: heldPort }],
    devices: [
      { id: 'exit-1', kind: 'gate', driver: 'feig-notification', listen: { host: '127.0.0.1', port: 0 } },
      {
        id: 'receipt-1',
        kind: 'receipt-printer',
        transport: { type: 'simulator', simulator: 'printer-sim' },
      },
    ],
  });
  daemon = await startCarrelDaemon(config);
}, 60_000);

afterAll(async () => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null)
    daemon.child.kill('SIGKILL');
  await new Promise<void>((resolve) => held.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a device that cannot start', () => {
  it('is offline saying why, the device started before it runs on, and SIGTERM ends the daemon', async () => {
    const running = daemon!;
    const response = await fetch(`${running.api}/api/v1/devices`);
    const { devices } = (await response.json()) as {
      devices: Array<{ device: string; status: string; reason: string | null }>;
    };
    const printer = devices.find((device) => device.device === 'receipt-1');
    const gate = devices.find((device) => device.device === 'exit-1');
    expect(printer?.status).toBe('offline');
    expect(printer?.reason).toMatch(/could not start/);
    expect(printer?.reason).toMatch(/printer-sim/);
    // The gate started (listening, waiting for the gate to dial in), not "not started".
    expect(gate?.reason).not.toBe('not started');
    expect(running.log()).toMatch(/receipt-1 could not start/);
    // Reconnecting it tries its start again: still no simulator, so still offline saying why.
    const again = await fetch(`${running.api}/api/v1/devices/receipt-1/reconnect`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { reason: string }).reason).toMatch(/could not start: .*printer-sim/);

    const exited = stopDaemon(running.child).then(() => 'exited');
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running 15 s after SIGTERM'), 15_000)),
    ]);
    expect(outcome).toBe('exited');
  }, 40_000);
});
