/**
 * An amount the print desk refuses — a top-up or a correction of 0 — is titled as what it is, an
 * amount that is not valid, not "Not an amount a payment may be for": a top-up at the desk or a
 * correction is no payment. (The print family's own title for the code was never used.) Over HTTP on the simulated desk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

describe('an amount the print desk refuses', () => {
  it('is titled an amount that is not valid, with the words of what was wrong', async () => {
    const patron = '21000001';
    const cases = [
      post('/print/accounts/deposit', { requestId: randomUUID(), patron, amountMinor: 0, currency: 'EUR' }),
      post('/print/accounts/adjust', {
        requestId: randomUUID(),
        patron,
        amountMinor: 0,
        currency: 'EUR',
        reason: 'none',
      }),
    ];
    for (const refused of await Promise.all(cases)) {
      expect(refused.status).toBe(422);
      // It was titled 'Not an amount a payment may be for'.
      expect(refused.json).toMatchObject({ code: 'amount_invalid', title: 'The amount is not valid' });
      expect(refused.json.detail).toMatch(/0 was sent: nothing was done$/);
    }
  });
});
