/**
 * A device that cannot start, as a desk meets it: `carrel start` (a child process) with a gate
 * (exit-1, listening for its notifications) and then a receipt printer whose simulator cannot
 * listen (its port held by another program), so the printer's start fails after the gate's
 * has opened its listener. The printer fails alone — offline, its health saying why — the gate
 * runs on, and SIGTERM stops the daemon, which exits. The daemon runs the compiled code in
 * dist/: `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitsOnSigterm } from '../helpers/carrel-daemon.js';
import { type PrinterPortHeldDaemon, startWithPrinterPortHeld } from '../helpers/printer-port-held-daemon.js';
import { until } from '../helpers/until.js';

let desk: PrinterPortHeldDaemon | undefined;

beforeAll(async () => {
  // Another program holds the port the printer simulator is told to listen on.
  desk = await startWithPrinterPortHeld({
    folderPrefix: 'carrel-device-start-',
    gateway: 'start-failure',
    devicesBefore: [
      { id: 'exit-1', kind: 'gate', driver: 'feig-notification', listen: { host: '127.0.0.1', port: 0 } },
    ],
  });
}, 60_000);

afterAll(async () => {
  await desk?.close();
});

describe('a device that cannot start', () => {
  it('is offline saying why, the device started before it runs on, and SIGTERM ends the daemon', async () => {
    const running = desk!.daemon;
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
    // Logged when the start failed; the log is written asynchronously, so it may follow the HTTP answer.
    await until(
      () => (/receipt-1 could not start/.test(running.log()) ? true : undefined),
      10_000,
      'the daemon never logged that receipt-1 could not start',
    );
    // Reconnecting it tries its start again: still no simulator, so still offline saying why.
    const again = await fetch(`${running.api}/api/v1/devices/receipt-1/reconnect`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { reason: string }).reason).toMatch(/could not start: .*printer-sim/);

    expect(await exitsOnSigterm(running.child, 15_000)).toBe('exited');
  }, 40_000);
});
