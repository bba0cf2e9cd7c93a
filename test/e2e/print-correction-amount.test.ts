/**
 * A correction (POST /api/v1/print/accounts/adjust) may put money in (positive) or take it out
 * (negative). One outside what a correction may be is refused in words that fit it: the amount as
 * it was sent, sign included, and the range a correction takes — not "more than 0", which a
 * correction taking money out is not meant to be. Over HTTP on the simulated desk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;
const patron = '21000001';

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

const correction = (amountMinor: number) =>
  post('/print/accounts/adjust', {
    requestId: randomUUID(),
    patron,
    amountMinor,
    currency: 'EUR',
    reason: 'counted wrong',
  });

describe('a correction of a print account outside what a correction may be', () => {
  it('is refused saying what was sent, sign included, and the range a correction takes; nothing moves', async () => {
    expect((await correction(300)).status).toBe(200);
    const range =
      "amountMinor of a correction must be a whole number of the currency's smallest unit (for EUR, 150 is 1.50 EUR), not 0, " +
      'from -1000000 to 1000000 (10000.00 EUR either way): positive puts money in, negative takes it out';
    // It said "more than 0 and at most 1000000 (10000.00 EUR); 2000000 was sent" for -2000000,
    // and "more than 0" for 0.
    for (const amountMinor of [-2_000_000, 2_000_000, 0]) {
      const refused = await correction(amountMinor);
      expect(refused.status).toBe(422);
      expect(refused.json.code).toBe('amount_invalid');
      expect(refused.json.detail).toBe(`${range}; ${amountMinor} was sent: nothing was done`);
    }
    // One within the range is taken, either way.
    expect((await correction(-100)).json.balanceMinor).toBe(200);
    const { statement } = (await post('/print/accounts/find', { patron })).json;
    expect(statement.balanceMinor).toBe(200);
    expect(statement.entries.map((e: { amountMinor: number }) => e.amountMinor)).toEqual([-100, 300]);
  });
});
