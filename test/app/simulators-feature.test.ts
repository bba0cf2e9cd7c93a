/**
 * A desk whose receipt printer simulator cannot listen at start (another program holds its port),
 * on the desk clock (ManualClock): the pad and its simulator run meanwhile; /readyz names the
 * simulator still missing and why; the printer's tries while the port is held are said once, not
 * once per reason; once the port is let go, the printer's next try starts its simulator, and
 * /readyz and carrel_feature_up say the desk is whole again — IT monitoring stops paging for it.
 */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

const held: Server = createServer();
const lines: Array<{ level: string; msg: string }> = [];
const clock = new ManualClock(Date.now());
let testDesk: TestDesk;

interface Readiness {
  ready: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

async function readyz(): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${testDesk.api}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

async function featureUp(feature: string): Promise<string | undefined> {
  const text = await (await fetch(`${testDesk.api}/metrics`)).text();
  return new RegExp(`^carrel_feature_up\\{feature="${feature}"\\} (\\d)$`, 'm').exec(text)?.[1];
}

const said = (pattern: RegExp) => lines.filter((line) => pattern.test(line.msg));

beforeAll(async () => {
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  const heldPort = (held.address() as { port: number }).port;
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  testDesk = await startTestDesk(
    (config) => ({
      ...config,
      // The printer's simulator first: the one after it (the pad's) starts all the same.
      simulators: config.simulators
        .filter((simulator) => simulator.id === 'printer-sim' || simulator.id === 'pad-sim')
        .map((simulator) => (simulator.id === 'printer-sim' ? { ...simulator, port: heldPort } : simulator)),
      devices: config.devices.filter((device) => device.id === 'receipt-1' || device.id === 'pad-1'),
      mqtt: { mode: 'off' },
    }),
    createLogger({ level: 'debug', format: 'json', destination }),
    clock,
  );
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
  if (held.listening) await new Promise<void>((resolve) => held.close(() => resolve()));
});

describe('a simulator whose port is held at start', () => {
  it('is named on /readyz while missing, the rest of the desk runs, and the desk is ready once it starts', async () => {
    const before = await readyz();
    expect(before.status).toBe(503);
    const simulators = before.body.checks.find((check) => check.name === 'feature:simulators');
    expect(simulators?.ok).toBe(false);
    expect(simulators?.detail).toMatch(/printer-sim/);
    expect(simulators?.detail).not.toMatch(/pad-sim/);
    expect(before.body.checks.find((check) => check.name === 'device:receipt-1')).toMatchObject({
      ok: false,
    });
    // The pad's simulator could listen: its device runs without waiting for the printer's.
    expect(testDesk.desk.simulators.describe().map((simulator) => simulator.id)).toEqual(['pad-sim']);
    expect(await featureUp('simulators')).toBe('0');

    // The first try again (5 s ± 20 %) finds the port still held: one failure, said once.
    await clock.advance(6_000);
    await until(
      () => (said(/receipt-1 (could not|still cannot) start/).length >= 2 ? true : undefined),
      10_000,
    );
    expect(said(/receipt-1 could not start/)).toHaveLength(1);

    await new Promise<void>((resolve) => held.close(() => resolve()));
    // The next try is 10 s (± 20 %) after that one.
    await clock.advance(12_000);
    await until(() => (said(/receipt-1 started, after it could not/).length > 0 ? true : undefined), 10_000);
    const after = await readyz();
    expect(after.body.checks.filter((check) => check.name.startsWith('feature:'))).toEqual([]);
    expect(await featureUp('simulators')).toBe('1');
    expect(said(/receipt-1 could not start/)).toHaveLength(1);
  }, 30_000);
});
