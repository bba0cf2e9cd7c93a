/**
 * Card numbers the ILS already has are never printed again. The counter that hands them out only
 * knows the desk's database: restored from a backup, it is behind the cards issued since, and two
 * patrons would share a number (one borrowing on the other's account). The desk's range here is
 * `2100` + 3 digits + the Codabar check digit, whose first number, 21000005, is a patron of the
 * simulated ILS; the number printed must be the first one the ILS does not know, asked over SIP2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { cardNumber } from '../../src/protocols/library-card/card-number.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

const NUMBERING = { symbology: 'codabar', prefix: '2100', sequenceDigits: 3, first: 0, last: 999 } as const;
let testDesk: TestDesk;
const call = jsonApi(() => testDesk.api);

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((device) =>
      device.kind === 'card-printer' ? { ...device, numbering: NUMBERING } : device,
    ),
  }));
  await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('allocated card numbers the ILS already has', () => {
  it('skips them and prints the first number no patron has', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const numbers = Array.from({ length: 20 }, (_, sequence) => cardNumber(NUMBERING, sequence));
    expect(numbers[0]).toBe('21000005');
    const firstFree = numbers.find((number) => ils.state.patron(number) === undefined)!;
    expect(firstFree).not.toBe(numbers[0]);

    const issued = await call<{ result: string; cardNumber: string }>('POST', '/api/v1/cards', {
      patron: '21000002',
      number: 'allocate',
    });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ result: 'issued', cardNumber: firstFree });
    const printed = testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!.cards();
    expect(printed.at(-1)!.tracks[2]).toBe(firstFree);

    // The next card takes the next number, not a skipped one.
    const next = await call<{ cardNumber: string }>('POST', '/api/v1/cards', {
      patron: '21000003',
      number: 'allocate',
    });
    expect(next.body.cardNumber).toBe(numbers[numbers.indexOf(firstFree) + 1]);
  });
});
