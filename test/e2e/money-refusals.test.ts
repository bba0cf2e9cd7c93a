/**
 * Money refused in words at the print desk and the kiosk — what would have gone to nobody, been
 * taken twice or been recorded twice — over HTTP on one simulated desk (the default config, coins
 * dropped in the cash simulator). Each refusal leaves nothing taken, doubled or lost.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
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

// A payment a test left collecting (one opened where it should have been refused) holds the cash
// devices: it is cancelled, so the next test is not refused for a busy device.
afterEach(async () => {
  for (const payment of (await call('GET', '/payments')).json.payments ?? [])
    if (payment.state === 'collecting') await call('DELETE', `/payments/${payment.id}`);
});

/** Drops a coin in the cash simulator and waits for the payment to have it. */
async function dropCoin(paymentId: string, valueMinor: number, paidMinor: number): Promise<void> {
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  expect(cash.insertCoin(valueMinor)).toMatchObject({ accepted: true });
  const deadline = Date.now() + 10_000;
  while ((await call('GET', `/payments/${paymentId}`)).json.paidMinor !== paidMinor) {
    if (Date.now() > deadline) throw new Error('the coin was not credited');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a top-up at the print desk for a card the library system does not know', () => {
  it('is refused in words and nothing is topped up; a known card is topped up', async () => {
    const unknown = '29999999';
    const refused = await call('POST', '/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: unknown,
      amountMinor: 500,
      currency: 'EUR',
    });
    // It was taken, 201, into an account of nobody: only the staff page stopped it.
    expect(refused.status).toBe(404);
    expect(refused.json).toMatchObject({
      code: 'patron_not_found',
      title: 'The ILS does not know this patron',
      detail:
        'the library system does not know this card: nothing was topped up; check the number on the card (what an account already holds can still be paid out)',
    });
    expect(JSON.stringify(refused.json)).not.toContain(unknown);
    const account = await call('POST', '/print/accounts/find', { patron: unknown });
    expect(account.json.statement).toMatchObject({ balanceMinor: 0, entries: [] });

    const taken = await call('POST', '/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: '21000002',
      amountMinor: 500,
      currency: 'EUR',
    });
    expect(taken.status).toBe(201);
    expect(taken.json).toMatchObject({ balanceMinor: 500, repeated: false });
  });
});

describe('a top-up at the print desk while the library system cannot be asked', () => {
  it('is taken: the cash is in staff hands, and refusing it would leave it on no record', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    ils.setFaults({ dropAfterMessages: 0 });
    try {
      const taken = await call('POST', '/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: '21000003',
        amountMinor: 300,
        currency: 'EUR',
      });
      expect(taken.status).toBe(201);
      expect(taken.json).toMatchObject({ balanceMinor: 300, repeated: false });
      // The card was asked about, and could not be.
      const card = await call('POST', '/print/accounts/find', { patron: '21000003', card: true });
      expect(card.json.card).toEqual({ known: null, name: null });
    } finally {
      ils.setFaults({});
      await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
    }
  }, 40_000);
});

describe('a kiosk top-up for a card the library reports lost', () => {
  it('is refused as a checkout with the card is, and starts nothing', async () => {
    const refused = await call('POST', '/payments', {
      patron: '21000007',
      pin: '7777',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      requestId: randomUUID(),
    });
    // It opened, 201, collecting the finder's coins for the patron's print account.
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      code: 'card_lost',
      reason: 'card_lost',
      detail:
        'the library system says this card was reported lost: nothing was started, no money is taken for it; the patron should see staff',
    });
    expect((await call('GET', '/payments')).json.payments).toEqual([]);
  });
});

describe('a fee payment naming one fee twice', () => {
  it('is refused saying the fee is listed twice, not that the account lists no such fee', async () => {
    const refused = await call('POST', '/payments', {
      patron: '21000006',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003', 'F-1003'] },
      requestId: randomUUID(),
    });
    expect(refused.status).toBe(422);
    // It was titled "The patron's account lists no such fee".
    expect(refused.json).toMatchObject({
      code: 'fee_listed_twice',
      title: 'A fee is listed twice',
      detail: 'fee "F-1003" is listed twice: list each fee once; nothing was started',
    });
    expect((await call('GET', '/payments')).json.payments).toEqual([]);
  });
});

describe('a payment naming a cash device twice', () => {
  it('takes money on the device once', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      devices: ['coins-1', 'coins-1'],
      requestId: randomUUID(),
    });
    expect(opened.status).toBe(201);
    // It listed ["coins-1", "coins-1"].
    expect(opened.json.devices).toEqual(['coins-1']);
    await dropCoin(opened.json.id, 200, 200);
    const ended = await call('DELETE', `/payments/${opened.json.id}`);
    expect(ended.status).toBe(200);
    expect(ended.json.payment).toMatchObject({ paidMinor: 200, devices: ['coins-1'] });
  });
});

describe('a cash box emptied twice at once', () => {
  it('records the emptying whose staff saw what the box holds, and refuses the other in words', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      requestId: randomUUID(),
    });
    await dropCoin(opened.json.id, 100, 100);
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
    const box = (await call('GET', '/cash-devices/coins-1/cash-box')).json;
    expect(box.expectedMinor).toBeGreaterThan(0);

    // Two staff (two pages, a page and a script) empty the box they both saw, with their own request ids.
    const emptying = () =>
      call('POST', '/cash-devices/coins-1/cash-box/emptyings', {
        countedMinor: box.expectedMinor,
        expectedMinor: box.expectedMinor,
        requestId: randomUUID(),
      });
    const answers = await Promise.all([emptying(), emptying()]);
    // Both were recorded, the second with a surplus of the whole count.
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const recorded = answers.find((answer) => answer.status === 201)!.json;
    expect(recorded).toMatchObject({ expectedMinor: box.expectedMinor, varianceMinor: 0 });
    const refused = answers.find((answer) => answer.status === 409)!.json;
    expect(refused).toMatchObject({
      code: 'cash_box_changed',
      title: 'The cash box is not what was seen in it',
      detail: `the cash box of coins-1 should hold 0.00 EUR now, not ${(box.expectedMinor / 100).toFixed(2)} EUR: it was emptied or took money meanwhile; nothing was recorded, read the cash box again`,
    });
    const emptyings = (await call('GET', '/cash-devices/coins-1/cash-box')).json;
    expect(emptyings).toMatchObject({ expectedMinor: 0, lastEmptied: { at: recorded.at } });

    // A client that sends no expectedMinor (an older page, a script) is answered as before.
    const old = await call('POST', '/cash-devices/coins-1/cash-box/emptyings', { countedMinor: 0 });
    expect(old.status).toBe(201);
    expect(old.json).toMatchObject({ expectedMinor: 0, varianceMinor: 0 });
  });
});
