/**
 * A top-up opened with an amountDueMinor other than its amount (a kiosk showing one figure and
 * sending another): refused as the wrong amount it is, in words that say which amount to send —
 * not "The fees come to another amount now" and "a top-up is due its own amount", about fees the
 * top-up has none of. Nothing is started: the cash devices are free for the payment sent right.
 * Over HTTP on the simulated desk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

const topUp = (amountDueMinor?: number) =>
  call('POST', '/payments', {
    patron: '21000001',
    pin: '1234',
    purpose: { kind: 'print-topup', amountMinor: 500 },
    ...(amountDueMinor !== undefined && { amountDueMinor }),
    requestId: randomUUID(),
  });

describe('a top-up whose amountDueMinor is not its amount', () => {
  it('is refused saying what to send, and starts nothing', async () => {
    const refused = await topUp(300);
    // It answered 409 amount_mismatch, "The fees come to another amount now": "a top-up is due its own amount".
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      code: 'amount_invalid',
      detail:
        'a top-up of 5.00 EUR is due 5.00 EUR, not 3.00 EUR: send amountDueMinor 500 or leave it out; nothing was started',
    });
    expect((await call('GET', '/payments')).json.payments).toEqual([]);
    // The devices were not taken: the top-up sent right opens.
    const opened = await topUp(500);
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ state: 'collecting', amountDueMinor: 500, paidMinor: 0 });
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
  });
});
