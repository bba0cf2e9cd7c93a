import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../simulators/ils/server.js';
import { callApi } from '../helpers/api-call.js';
import { kohaTransferAt, startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';
import { sampleFixtureInput } from '../simulators/ils/sample.js';

/**
 * A transfer of ILS credit into the print account (POST /print/accounts/transfers, the debit over
 * the ILS simulator's Koha REST API) for a card the release station refuses, as a cash top-up at
 * the desk is refused: the sample library's 21000007 (SIP2 "card reported lost"), 21000004 (expired
 * 30 days ago) and 21000005 (blocked by staff), each given 20.00 of credit at the ILS here.
 *
 * A lost card: whoever holds it may not be the patron, and would move the patron's money onto an
 * account they print from. Expired or blocked: the release station does not log the card in, and
 * the credit is better left at the library, where it may settle what is behind the block. Either
 * way nothing is debited at the ILS and nothing is journaled.
 */
const REFUSED_CARDS = [
  { patron: '21000007', code: 'card_lost', why: /reported lost/ },
  { patron: '21000004', code: 'card_expired', why: /has expired/ },
  { patron: '21000005', code: 'patron_blocked', why: /is blocked/ },
] as const;
const GOOD_CARD = '21000009';

let ils: IlsSimulator;
let testDesk: TestDesk;

beforeAll(async () => {
  const fixture = sampleFixtureInput();
  const inCredit = new Set<string>([...REFUSED_CARDS.map((card) => card.patron), GOOD_CARD]);
  ils = await startIlsSimulator({
    fixture: {
      ...fixture,
      patrons: (fixture.patrons ?? []).map((patron) =>
        inCredit.has(String(patron.barcode)) ? { ...patron, credit: 20 } : patron,
      ),
    },
    httpPort: 0,
  });
  testDesk = await startTestDesk((config) => ({
    ...withIlsAt(config, ils.port),
    printAccounts: { ...config.printAccounts, ilsTransfer: kohaTransferAt(ils.controlUrl!) },
  }));
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 60_000);

afterAll(async () => {
  await testDesk?.stop();
  await ils?.close();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

describe('a transfer of ILS credit for a card the library says is lost, expired or blocked', () => {
  it('is refused, 409 with the reason in words, nothing debited at the ILS and nothing journaled', async () => {
    for (const card of REFUSED_CARDS) {
      const request = { requestId: randomUUID(), patron: card.patron, amountMinor: 500, currency: 'EUR' };
      const refused = await call('POST', '/print/accounts/transfers', request);
      expect({ patron: card.patron, status: refused.status, code: refused.json.code }).toEqual({
        patron: card.patron,
        status: 409,
        code: card.code,
      });
      const words = String(refused.json.detail);
      expect(words).toMatch(card.why);
      expect(words).toMatch(/nothing was moved/);
      expect(words).toMatch(/stays in the library system/);
      expect(words).not.toContain(card.patron);
      // The ILS's own books: no debit, the credit where it was.
      const atIls = ils.state.patrons.get(card.patron)!;
      expect(atIls.accountDebits).toHaveLength(0);
      expect(atIls.creditCents).toBe(2000);
      // Asked again with the same request id: refused again, the first left nothing behind.
      expect((await call('POST', '/print/accounts/transfers', request)).status).toBe(409);
      const found = await call('POST', '/print/accounts/find', { patron: card.patron });
      expect(found.json.statement).toMatchObject({ balanceMinor: 0, entries: [] });
    }
    const journal = await call('GET', '/print/accounts/transfers');
    expect(journal.json.transfers).toEqual([]);
  });

  it('moves the credit while the SIP2 server hangs, after the desk’s card-check wait, not its whole timeout', async () => {
    // SIP2 reads every request and answers none; Koha's REST API answers.
    ils.setFaults({ hang: true });
    try {
      const started = performance.now();
      const moved = await call('POST', '/print/accounts/transfers', {
        requestId: randomUUID(),
        patron: GOOD_CARD,
        amountMinor: 200,
        currency: 'EUR',
      });
      expect(moved.status).toBe(201);
      expect(moved.json).toMatchObject({ amountMinor: 200, balanceMinor: 200 });
      // printAccounts.deskCardCheckMs (2 s by default), and the REST calls.
      expect(performance.now() - started).toBeLessThan(8_000);
    } finally {
      ils.setFaults({});
    }
  });

  it('still moves the credit of a card in good standing', async () => {
    const moved = await call('POST', '/print/accounts/transfers', {
      requestId: randomUUID(),
      patron: GOOD_CARD,
      amountMinor: 500,
      currency: 'EUR',
    });
    expect(moved.status).toBe(201);
    expect(moved.json).toMatchObject({ amountMinor: 500, balanceMinor: 700, repeated: false });
    expect(ils.state.patrons.get(GOOD_CARD)?.accountDebits).toHaveLength(2);
  });
});
