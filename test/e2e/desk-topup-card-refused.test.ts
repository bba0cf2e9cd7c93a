import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A print-credit top-up at the desk (cash in staff hands) for a card the release station refuses.
 *
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
});

/**
 * The sample library's 21000004, whose card expired 30 days ago, and 21000005, blocked by staff
 * ("Card blocked, please see staff"): the ILS answers both with charge privileges denied and says
 * why in its screen message (SIP2 has no status flag for either). The kiosk refuses a print top-up
 * for them and the release station logs neither in, so money put on at the desk could not be spent.
 */
const REFUSED_CARDS = [
  { patron: '21000004', code: 'card_expired', why: /has expired/, what: /renew the card/ },
  { patron: '21000005', code: 'patron_blocked', why: /is blocked/, what: /see to the block/ },
] as const;

describe('a desk top-up for a card the library reports expired or blocked', () => {
  it('is refused, 409 with the reason, telling staff the cash stays with them; nothing is written', async () => {
    for (const card of REFUSED_CARDS) {
      for (const source of ['cash-desk', 'payment-device', 'ils-transfer'] as const) {
        const request = {
          requestId: `${card.code}-${source}-0123456789`,
          patron: card.patron,
          amountMinor: 500,
          currency: 'EUR',
          source,
        };
        const refused = await call('POST', '/print/accounts/deposit', request);
        // It answered 201: the money went on an account the release station does not let the patron use.
        expect({ patron: card.patron, source, status: refused.status, code: refused.json.code }).toEqual({
          patron: card.patron,
          source,
          status: 409,
          code: card.code,
        });
        const words = String(refused.json.detail);
        expect(words).toMatch(card.why);
        expect(words).toMatch(/nothing was topped up/);
        expect(words).toMatch(/stays with you/);
        expect(words).toMatch(card.what);
        expect(words).not.toContain(card.patron);
        // Asked again with the same request id, it is refused again: the first left nothing behind.
        expect((await call('POST', '/print/accounts/deposit', request)).status).toBe(409);
      }
      const found = await call('POST', '/print/accounts/find', { patron: card.patron });
      expect(found.json.statement).toMatchObject({ balanceMinor: 0, entries: [] });
    }
  });

  it('still takes a correction (source adjustment): what the library owes the patron is on the account for when the card is usable, or to pay out', async () => {
    for (const card of REFUSED_CARDS) {
      const taken = await call('POST', '/print/accounts/deposit', {
        requestId: `${card.code}-adjustment-0123456789`,
        patron: card.patron,
        amountMinor: 150,
        currency: 'EUR',
        source: 'adjustment',
        note: 'a page that did not print',
      });
      expect({ patron: card.patron, status: taken.status }).toEqual({ patron: card.patron, status: 201 });
      expect(taken.json).toMatchObject({ balanceMinor: 150, repeated: false });
    }
  });
});

describe('a desk top-up for a card in good standing', () => {
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
