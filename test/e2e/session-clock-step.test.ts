import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A self-check session's requests sent again while NTP steps the desk's clock: the simulated desk
 * (SIP2 and the pad over TCP, the API over HTTP) on a clock whose wall time the test steps; time
 * passing and the timers are the system's. A kiosk whose answer was lost sends the same request
 * id again within seconds: it gets the first answer, however the wall clock was stepped.
 */
describe('a self-check session while the desk clock is stepped', () => {
  let testDesk: TestDesk;
  let step = 0;

  beforeAll(async () => {
    const clock: Clock = { ...systemClock, now: () => Date.now() + step };
    testDesk = await startTestDesk((config) => config, undefined, clock);
    await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
    await waitForDevice(testDesk.api, 'pad-1', 'online', 15_000);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
  });

  async function call(method: 'POST', path: string, body: unknown) {
    const response = await fetch(`${testDesk.api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers an end sent again after the clock was stepped forward with the first answer', async () => {
    const opened = await call('POST', '/api/v1/sessions', {
      pad: 'pad-1',
      auto: false,
      mode: 'checkout',
      patron: '21000009',
      pin: '9999',
    });
    expect(opened.status).toBe(201);
    const end = { receipt: 'data', requestId: randomUUID() };
    const first = await call('POST', `/api/v1/sessions/${opened.body.id}/end`, end);
    expect(first.status).toBe(200);
    // The kiosk never got that answer; it sends the end again, the desk's clock stepped 11 minutes on.
    step += 11 * 60_000;
    const again = await call('POST', `/api/v1/sessions/${opened.body.id}/end`, end);
    expect(again).toEqual(first);
  });
});
