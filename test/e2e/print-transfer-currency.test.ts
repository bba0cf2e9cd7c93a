import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../simulators/ils/server.js';
import { callApi } from '../helpers/api-call.js';
import { kohaTransferAt, startTestDesk, type TestDesk, withIlsAt } from '../helpers/desk.js';
import { sampleFixtureInput } from '../simulators/ils/sample.js';

const PATRON = '21000010'; // in credit by "20.00" of the library's currency at the sample library

/**
 * A transfer of ILS credit into the print account, on a desk whose currency does not have two
 * decimals: the desk's Koha (the ILS simulator's REST API, over HTTP) holds amounts in the
 * currency's major unit, as Koha does — 20 yen is `20`, 1.250 dinars `1.25` — and the desk must
 * send and read them so; what leaves the ILS is what arrives in the print account.
 */
describe.each([
  // Yen have no minor digits: 20 yen of credit, 20 moved, none left.
  {
    currency: 'JPY',
    creditMinor: 20,
    moveMinor: 20,
    leftHundredths: 0,
    credit: '20 JPY',
    asked: '21 JPY',
    example: '150 is 150 JPY',
    max: '1000000 JPY',
  },
  // Kuwaiti dinars have three: 20.000 KWD of credit, 1.250 moved (1250 fils), 18.75 left.
  {
    currency: 'KWD',
    creditMinor: 20_000,
    moveMinor: 1250,
    leftHundredths: 1875,
    credit: '20.000 KWD',
    asked: '20.001 KWD',
    example: '150 is 0.150 KWD',
    max: '1000.000 KWD',
  },
])(
  'an ILS transfer on a $currency desk',
  ({ currency, creditMinor, moveMinor, leftHundredths, credit, asked, example, max }) => {
    let ils: IlsSimulator;
    let testDesk: TestDesk;

    beforeAll(async () => {
      const fixture = sampleFixtureInput();
      ils = await startIlsSimulator({
        fixture: { ...fixture, library: { ...fixture.library, currency } },
        httpPort: 0,
      });
      testDesk = await startTestDesk((config) => ({
        ...withIlsAt(config, ils.port),
        printAccounts: {
          ...config.printAccounts,
          currency,
          ilsTransfer: kohaTransferAt(ils.controlUrl!),
        },
      }));
    }, 30_000);

    afterAll(async () => {
      await testDesk?.stop();
      await ils?.close();
    });

    const transfer = (amountMinor: number) =>
      callApi(testDesk.api, 'POST', '/api/v1/print/accounts/transfers', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor,
        currency,
      });

    it('takes from the ILS exactly what it credits the print account, and no more than the patron has', async () => {
      // One minor unit more than the patron's credit at the ILS: refused, nothing moves.
      const tooMuch = await transfer(creditMinor + 1);
      expect(tooMuch.status).toBe(402);
      expect(tooMuch.json.code).toBe('ils_credit_insufficient');
      // In the currency, not minor units ('the patron's credit at the ILS (20000 minor units) does not cover 20001').
      expect(tooMuch.json.detail).toBe(
        `the patron's credit at the ILS (${credit}) does not cover the ${asked} asked: nothing was moved`,
      );
      expect(ils.state.patrons.get(PATRON)?.accountDebits).toHaveLength(0);
      // What amountMinor counts, with the currency's own example: it said 'an amount must be a
      // whole number of minor units from 1 to 1000000, not 0'.
      const nothing = await transfer(0);
      expect(nothing.status).toBe(422);
      expect(nothing.json).toMatchObject({
        code: 'amount_invalid',
        detail: `amountMinor must be a whole number of the currency's smallest unit (for ${currency}, ${example}), more than 0 and at most 1000000 (${max}); 0 was sent: nothing was done`,
      });

      const moved = await transfer(moveMinor);
      expect(moved.status).toBe(201);
      expect(moved.json).toMatchObject({ amountMinor: moveMinor, currency, balanceMinor: moveMinor });
      // The ILS's own books (hundredths of the major unit in the simulator): the same money left them.
      const patron = ils.state.patrons.get(PATRON)!;
      expect(patron.accountDebits).toHaveLength(1);
      expect(patron.creditCents).toBe(leftHundredths);
      expect(patron.fees).toHaveLength(0);
    });
  },
);
