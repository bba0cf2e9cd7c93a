/**
 * Money refused in words at the print desk and the kiosk — what would have gone to nobody, been
 * taken twice or been recorded twice, an amount, a date or a range that is not one — and who
 * emptied a cash box, over HTTP on one simulated desk (the default config, coins dropped in the
 * cash simulator). Each refusal leaves nothing taken, doubled or lost. The tests share the desk:
 * each reads what it changes (a payment, a balance, a cash box, the day's report) before and after,
 * and a patron's print account is its own where it checks the whole statement.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

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

const post = (path: string, body: unknown) => call('POST', path, body);

/** The ids of every payment the desk has: a refusal adds none. */
async function paymentIds(): Promise<string[]> {
  return (await call('GET', '/payments')).json.payments.map((payment: { id: string }) => payment.id);
}

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
  await until(
    async () => (await call('GET', `/payments/${paymentId}`)).json.paidMinor === paidMinor || undefined,
    10_000,
    'the coin was not credited',
    25,
  );
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
    const before = await paymentIds();
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
    expect(await paymentIds()).toEqual(before);
  });
});

describe('a fee payment naming one fee twice', () => {
  it('is refused saying the fee is listed twice, not that the account lists no such fee', async () => {
    const before = await paymentIds();
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
    expect(await paymentIds()).toEqual(before);
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

describe('who emptied a cash box, on a desk without tokens', () => {
  // The default desk serves this machine only, and no one there holds a token: the API says "at
  // this desk", as it says of a print account's entries, a payment paid out or checked, a card
  // issued — never Carrel's technical name for such a caller ('loopback').
  it('says an emptying made over HTTP was made at this desk, in its answer and the cash box report', async () => {
    const held = (await call('GET', '/cash-devices/coins-1/cash-box')).json.expectedMinor;
    const opened = await post('/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      requestId: randomUUID(),
    });
    expect(opened.status).toBe(201);
    await dropCoin(opened.json.id, 200, 200);
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);

    const emptied = await post('/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: held + 200,
      requestId: randomUUID(),
    });
    expect(emptied.status).toBe(201);
    // It answered by 'loopback'.
    expect(emptied.json).toMatchObject({
      expectedMinor: held + 200,
      countedMinor: held + 200,
      by: 'at this desk',
    });
    const box = await call('GET', '/cash-devices/coins-1/cash-box');
    expect(box.json.lastEmptied).toEqual({ id: emptied.json.id, at: emptied.json.at, by: 'at this desk' });
  });

  it("reads an emptying an older Carrel kept as by 'loopback' as made at this desk", async () => {
    // An emptying of the note validator made at this desk by an older Carrel, which kept its caller's name.
    const db = openDatabase(testDesk.databasePath);
    try {
      db.prepare(
        `INSERT INTO cash_box_emptyings (device, at, emptied_by, last_credit, expected_minor, currency)
         VALUES ('notes-1', ?, 'loopback', 0, 0, NULL)`,
      ).run(Date.now());
    } finally {
      db.close();
    }
    const box = await call('GET', '/cash-devices/notes-1/cash-box');
    expect(box.json.lastEmptied.by).toBe('at this desk');
  });
});

describe('a top-up whose amountDueMinor is not its amount', () => {
  // A kiosk showing one figure and sending another: refused as the wrong amount it is, in words
  // that say which amount to send — not "The fees come to another amount now" and "a top-up is due
  // its own amount", about fees the top-up has none of.
  const topUp = (amountDueMinor?: number) =>
    post('/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      ...(amountDueMinor !== undefined && { amountDueMinor }),
      requestId: randomUUID(),
    });

  it('is refused saying what to send, and starts nothing', async () => {
    const before = await paymentIds();
    const refused = await topUp(300);
    // It answered 409 amount_mismatch, "The fees come to another amount now": "a top-up is due its own amount".
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({
      code: 'amount_invalid',
      detail:
        'a top-up of 5.00 EUR is due 5.00 EUR, not 3.00 EUR: send amountDueMinor 500 or leave it out; nothing was started',
    });
    expect(await paymentIds()).toEqual(before);
    // The devices were not taken: the top-up sent right opens.
    const opened = await topUp(500);
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ state: 'collecting', amountDueMinor: 500, paidMinor: 0 });
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
  });
});

describe('a payment opened without a patron', () => {
  it('is refused 422 patron_required with a title that fits a payment', async () => {
    const payment = await post('/payments', {
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
    });
    expect(payment.status).toBe(422);
    // Its title was 'A checkout session needs a patron'.
    expect(payment.json).toMatchObject({
      code: 'patron_required',
      title: 'A patron is needed',
      detail: 'a payment needs a patron: a barcode, or patronCard with a pad',
    });
  });
});

describe('payment statistics over a range that is not one', () => {
  async function stats(path: string, from: string, to: string) {
    return call('GET', `/stats${path}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  }

  it('refuses an inverted, empty or too long range as the desk statistics do, saying what is wrong', async () => {
    const cases = [
      ['2026-12-07T00:00:00Z', '2026-12-01T00:00:00Z', '"to" must be after "from"'],
      ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '"to" must be after "from"'],
      ['2024-01-01T00:00:00Z', '2026-12-01T00:00:00Z', 'a range may span at most 366 days'],
    ] as const;
    for (const [from, to, detail] of cases) {
      // The desk's own statistics route, for the words every statistics route answers with.
      expect((await stats('', from, to)).json).toMatchObject({ code: 'statistics_range_invalid', detail });
      const answer = await stats('/payments', from, to);
      // It answered 422 amount_invalid, "Not an amount a payment may be for".
      expect({ from, to, status: answer.status, code: answer.json.code }).toEqual({
        from,
        to,
        status: 400,
        code: 'statistics_range_invalid',
      });
      expect(answer.json).toMatchObject({ title: 'Invalid statistics range', detail });
    }
    // A range that is one is answered.
    expect((await stats('/payments', '2026-12-01T00:00:00Z', '2026-12-07T00:00:00Z')).status).toBe(200);
  });
});

describe('an amount the print desk refuses', () => {
  // A top-up at the desk or a correction is no payment: "Not an amount a payment may be for" (the
  // print family's own title for the code was never used) did not fit.
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

describe('a correction of a print account outside what a correction may be', () => {
  // A correction (POST /api/v1/print/accounts/adjust) may put money in (positive) or take it out
  // (negative): "more than 0" did not fit one taking money out. A patron no other test pays for.
  const patron = '21000004';
  const correction = (amountMinor: number) =>
    post('/print/accounts/adjust', {
      requestId: randomUUID(),
      patron,
      amountMinor,
      currency: 'EUR',
      reason: 'counted wrong',
    });

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

describe('the daily print report of a day not in the calendar', () => {
  const pad = (n: number) => String(n).padStart(2, '0');
  /** Today as the previous month's day past its end: 2026-12-06 is written 2026-11-36. */
  function todayPastLastMonthsEnd(): string {
    const today = new Date();
    const lastMonthsEnd = new Date(today.getFullYear(), today.getMonth(), 0);
    return `${lastMonthsEnd.getFullYear()}-${pad(lastMonthsEnd.getMonth() + 1)}-${pad(lastMonthsEnd.getDate() + today.getDate())}`;
  }
  const today = () => {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  };
  const toppedUpToday = async () =>
    (await call('GET', `/print/reports/daily?date=${today()}`)).json.deposits.totalMinor as number;

  it('is refused with the date named, in JSON and CSV, and does not answer another day’s money', async () => {
    const before = await toppedUpToday();
    const topUp = await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: '21000001',
      amountMinor: 500,
      currency: 'EUR',
    });
    expect(topUp.status).toBe(201);
    for (const date of [todayPastLastMonthsEnd(), '2026-02-30', '2026-13-01', '2026-12-00']) {
      for (const path of ['/api/v1/print/reports/daily', '/api/v1/print/reports/daily.csv']) {
        const answer = await fetch(`${testDesk.api}${path}?date=${date}`);
        const text = await answer.text();
        // It answered 200 with the day the date rolled over to (today's top-up under 2026-11-36).
        expect({ path, date, status: answer.status }).toEqual({ path, date, status: 400 });
        const problem = JSON.parse(text);
        expect(problem.code).toBe('invalid_request');
        expect(problem.errors).toEqual([
          { path: 'query.date', message: 'a day of the calendar, as YYYY-MM-DD (such as 2026-12-06)' },
        ]);
      }
    }
    // A day that is in the calendar is answered as before.
    expect(await toppedUpToday()).toBe(before + 500);
  });
});
