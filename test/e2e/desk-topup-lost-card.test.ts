import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A print-credit top-up at the desk (cash in staff hands) for a card the library system reports
 * lost (the sample library's 21000007, SIP2 patron status "card reported lost"): whoever holds the
 * card is not its patron, and the release station refuses the card, so the money could be neither
 * the patron's nor spent. It is refused before anything is recorded, in words that tell staff what
 * to do, and the cash stays in their hands.
 */
let testDesk: TestDesk;
const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 60_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('a desk top-up for a card the library reports lost', () => {
  it('is refused, 409 card_lost, and nothing is credited or journaled', async () => {
    const request = {
      requestId: 'lost-card-0123456789',
      patron: '21000007',
      amountMinor: 500,
      currency: 'EUR',
    };
    const refused = await call('POST', '/print/accounts/deposit', request);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'card_lost' });
    const words = String(refused.json.detail);
    expect(words).toMatch(/reported lost/);
    expect(words).toMatch(/nothing was topped up/);
    expect(words).toMatch(/new card/);
    expect(words).not.toContain('21000007');
    const found = await call('POST', '/print/accounts/find', { patron: '21000007' });
    expect(found.status).toBe(200);
    expect(found.json.statement).toMatchObject({ balanceMinor: 0, entries: [] });
    // Asked again with the same request id, it is refused again: the first left nothing behind.
    const again = await call('POST', '/print/accounts/deposit', request);
    expect(again.status).toBe(409);
  });

  it('still tops up a card in good standing', async () => {
    const taken = await call('POST', '/print/accounts/deposit', {
      requestId: 'good-card-0123456789',
      patron: '21000009',
      amountMinor: 500,
      currency: 'EUR',
    });
    expect(taken.status).toBe(201);
    expect(taken.json).toMatchObject({ balanceMinor: 500, repeated: false });
  });
});
