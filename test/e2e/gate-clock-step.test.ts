import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gateSimulators } from '../../simulators/gate/family.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * The security gate while NTP steps the desk's clock: the simulated FEIG gate dials the desk (real
 * TCP), on a desk clock whose wall time the test steps as NTP does; time passing and the timers
 * are the system's. The same tag read again within the repeat window (half a second here) is one
 * passage; read again after it, another — however the wall clock was stepped in between.
 */
const REPEAT_MS = 500;

describe('a security gate while the desk clock is stepped', () => {
  let testDesk: TestDesk;
  let socket: WebSocket;
  let step = 0;
  let clock: Clock;
  const alarms: unknown[] = [];

  beforeAll(async () => {
    clock = { ...systemClock, now: () => Date.now() + step };
    testDesk = await startTestDesk(
      (config) => ({
        ...config,
        devices: config.devices.map((device) =>
          device.kind === 'gate'
            ? { ...device, alarm: { ...device.alarm, repeatSeconds: REPEAT_MS / 1000 } }
            : device,
        ),
      }),
      undefined,
      clock,
    );
    await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
    socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events?devices=exit-1`);
    socket.on('message', (message) => {
      const parsed = JSON.parse(String(message));
      if (parsed.event === 'device.event' && parsed.data.type === 'gate.alarm') alarms.push(parsed.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
  }, 30_000);

  afterAll(async () => {
    socket?.close();
    await testDesk?.stop();
  });

  it('alarms for a book carried out again after the clock was stepped an hour back', async () => {
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'out', items: ['31000004'] });
    await until(() => alarms.length === 1 || undefined, 2000);
    // The desk read the tag before its alarm got here: from now on its own clock (the test's, in
    // this process) times the window.
    const heard = clock.monotonic();
    step -= 3_600_000;
    // Until the window has closed on the clock the desk times it with, however long that takes.
    await until(() => clock.monotonic() - heard > REPEAT_MS || undefined, 5000);
    gate.walk({ direction: 'out', items: ['31000004'] });
    await until(() => alarms.length === 2 || undefined, 2000, 'no alarm for the book carried out again');
    expect(alarms).toHaveLength(2);
  });

  it('stamps a people counter reading with the desk clock’s time, not the system’s', async () => {
    // The desk's wall clock a year off the machine's: the time staff see with the reading is the desk's.
    step -= 365 * 86_400_000;
    for (const [method, path] of [
      ['GET', '/gates/exit-1/counters'],
      ['POST', '/gates/exit-1/counters/reset'],
    ] as const) {
      const before = clock.now();
      const reading = await callApi(`${testDesk.api}/api/v1`, method, path);
      const after = clock.now();
      expect(reading.status).toBe(200);
      const time = Date.parse(reading.json.time);
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
  });
});
