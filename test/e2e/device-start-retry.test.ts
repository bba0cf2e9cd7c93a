/**
 * A device that could not start is tried again by itself, as a desk PC meets it at boot: `carrel
 * start` (a child process) with a receipt printer whose simulator cannot listen (its port held by
 * another program for a few seconds). Once the port is free the printer comes online on its own
 * within the first retry's backoff (5 s, ±20 %), with no one calling reconnect, and the desk is ready
 * again (/readyz named the missing simulator meanwhile; carrel_feature_up back to 1); SIGTERM then
 * stops the daemon — the simulator started late included — and it exits. The daemon runs the
 * compiled code in dist/: `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitsOnSigterm } from '../helpers/carrel-daemon.js';
import { type PrinterPortHeldDaemon, startWithPrinterPortHeld } from '../helpers/printer-port-held-daemon.js';

let desk: PrinterPortHeldDaemon | undefined;

beforeAll(async () => {
  desk = await startWithPrinterPortHeld({
    folderPrefix: 'carrel-device-retry-',
    gateway: 'start-retry',
    env: { LOG_LEVEL: 'info' },
  });
}, 60_000);

afterAll(async () => {
  await desk?.close();
});

async function printer(api: string): Promise<{ status: string; reason: string | null }> {
  const response = await fetch(`${api}/api/v1/devices/receipt-1`);
  return (await response.json()) as { status: string; reason: string | null };
}

async function readiness(api: string) {
  const response = await fetch(`${api}/readyz`);
  const body = (await response.json()) as { checks: Array<{ name: string; ok: boolean; detail: string }> };
  return { status: response.status, failing: body.checks.filter((check) => !check.ok) };
}

async function simulatorsUp(api: string): Promise<string | undefined> {
  const text = await (await fetch(`${api}/metrics`)).text();
  return /^carrel_feature_up\{feature="simulators"\} (\d)$/m.exec(text)?.[1];
}

describe('a device that could not start', () => {
  it('comes online by itself once what it needs is free, and SIGTERM still ends the daemon', async () => {
    const running = desk!.daemon;
    expect((await printer(running.api)).reason).toMatch(/could not start/);
    const before = await readiness(running.api);
    expect(before.status).toBe(503);
    expect(before.failing.find((check) => check.name === 'feature:simulators')?.detail).toMatch(
      /printer-sim/,
    );
    expect(await simulatorsUp(running.api)).toBe('0');
    // The other program lets the port go a couple of seconds after the desk started.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await desk!.releasePort();

    // The first retry comes within 5 s ± 20 % of the failure; connecting takes a moment more.
    const deadline = Date.now() + 12_000;
    let state = await printer(running.api);
    while (state.status !== 'online' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await printer(running.api);
    }
    expect(state).toMatchObject({ status: 'online' });
    // Whole again: IT monitoring no longer pages for this desk.
    expect(await readiness(running.api)).toEqual({ status: 200, failing: [] });
    expect(await simulatorsUp(running.api)).toBe('1');
    // Said once that it could not start, and then that it started; no line per retry.
    const log = running.log();
    expect(log.match(/receipt-1 could not start/g)).toHaveLength(1);
    expect(log).toMatch(/receipt-1 started/);

    expect(await exitsOnSigterm(running.child, 15_000)).toBe('exited');
  }, 50_000);
});
