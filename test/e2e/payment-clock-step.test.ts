import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A payment at the kiosk while NTP steps the desk's clock: the simulated desk (ccTalk over TCP,
 * the API over HTTP) on a clock whose wall time the test steps, as NTP does; time passing and the
 * timers are the system's. The kiosk counts down to the payment's `expiresAt`: it must be the
 * idle timeout from now on the desk's clock as it reads after the step.
 */
describe('a payment while the desk clock is stepped', () => {
  let testDesk: TestDesk;
  let step = 0;

  beforeAll(async () => {
    const clock: Clock = { ...systemClock, now: () => Date.now() + step };
    testDesk = await startTestDesk((config) => config, undefined, clock);
    await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
    await waitForDevice(testDesk.api, 'notes-1', 'online', 15_000);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    callApi(`${testDesk.api}/api/v1`, method, path, body);

  it('keeps collecting, and says it ends the idle timeout from now, whichever way the clock was stepped', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000002',
      pin: '2222',
      purpose: { kind: 'print-topup', amountMinor: 1000 },
    });
    expect(opened.status).toBe(201);
    const id = opened.json.id as string;
    const idleMs = 120_000;
    /** Milliseconds until the payment ends, as the desk says it now. */
    const left = async () => {
      const { json } = await call('GET', `/payments/${id}`);
      expect(json.state).toBe('collecting');
      return Date.parse(json.expiresAt) - (Date.now() + step);
    };
    try {
      expect(await left()).toBeGreaterThan(idleMs - 5_000);
      for (const by of [-3_600_000, 2 * 3_600_000]) {
        step += by;
        const remaining = await left();
        expect(remaining).toBeGreaterThan(idleMs - 5_000);
        expect(remaining).toBeLessThanOrEqual(idleMs);
      }
    } finally {
      await call('DELETE', `/payments/${id}`);
    }
  });
});
