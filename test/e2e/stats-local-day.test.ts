import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

const DAY_MS = 86_400_000;
const PATRON = '21000009';

/**
 * Ten past midnight at a branch in India: a patron borrows at the self-check, two people come in
 * and one walks out with an item still secured, a patron puts €5 on their print account at the
 * desk, and another pays a €5 fee in coins at the kiosk. The report of the last two days (GET /api/v1/stats/measures, period=day, in the desk's own
 * zone) counts them on the day that has just begun — they went on the day before, counted with the
 * UTC hour 18:00–19:00, which began at 23:30.
 */
describe('a desk a half hour off UTC, just after local midnight', () => {
  let testDesk: TestDesk;
  let midnight: number;
  const zoneBefore = process.env.TZ;

  beforeAll(async () => {
    // A desk in India (UTC+05:30), as its machine is set up there.
    process.env.TZ = 'Asia/Kolkata';
    // The desk's clock reads 00:10 local time, and runs on from there.
    const realNow = Date.now();
    midnight = Math.floor((realNow + 5.5 * 3_600_000) / DAY_MS) * DAY_MS - 5.5 * 3_600_000;
    const shift = realNow - (midnight + 10 * 60_000);
    const clock: Clock = { ...systemClock, now: () => Date.now() - shift };
    testDesk = await startTestDesk((config) => config, undefined, clock);
    await waitForDevice(testDesk.api, 'ils', 'online');
    await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
    await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
    // The files after this one in its test worker run in the machine's zone again.
    if (zoneBefore === undefined) delete process.env.TZ;
    else process.env.TZ = zoneBefore;
  });

  it('counts the checkout, the visitors and the alarm on the day that has begun', async () => {
    const checkout = await fetch(`${testDesk.api}/api/v1/checkouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: PATRON, pin: '9999', item: '31000005' }),
    });
    expect(checkout.status).toBe(200);
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'out', items: ['31000006'] });
    await fetch(`${testDesk.api}/api/v1/gates/exit-1/counters`);
    const deposit = await fetch(`${testDesk.api}/api/v1/print/accounts/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requestId: randomUUID(),
        patron: '21000001',
        amountMinor: 500,
        currency: 'EUR',
        source: 'cash-desk',
      }),
    });
    expect(deposit.status).toBe(201);
    const payment = (await (
      await fetch(`${testDesk.api}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          patron: '21000003',
          pin: '3333',
          purpose: { kind: 'fees', fees: ['F-1002'] },
          amountDueMinor: 500,
        }),
      })
    ).json()) as { id: string };
    const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
    for (const coin of [200, 200, 100]) expect(cash.insertCoin(coin)).toMatchObject({ accepted: true });
    await until(async () => {
      const now = (await (await fetch(`${testDesk.api}/api/v1/payments/${payment.id}`)).json()) as {
        state: string;
      };
      return now.state === 'completed' ? true : undefined;
    });

    const today = new Date(midnight + 12 * 3_600_000).toLocaleDateString('en-CA'); // YYYY-MM-DD, local
    type Report = { timeZone: string; rows: Array<{ measure: string; period: string; value: number }> };
    const day = async (from: number, to: number) =>
      (await (
        await fetch(
          `${testDesk.api}/api/v1/stats/measures?period=day&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&measure=circulation.transactions,gate.visitors_in,gate.alarms,print.deposits,cash.taken,payments.fees_paid`,
        )
      ).json()) as Report;
    const counted = (report: Report, measure: string) =>
      report.rows.filter((row) => row.measure === measure).reduce((sum, row) => sum + row.value, 0);
    // Yesterday and today, midnight to midnight, as the report page asks for its days.
    const report = await until(async () => {
      const found = await day(midnight - DAY_MS, midnight + DAY_MS);
      return counted(found, 'gate.visitors_in') >= 2 && counted(found, 'gate.alarms') >= 1
        ? found
        : undefined;
    });
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(report.timeZone); // ICU's name, either
    expect(report.rows.map((row) => row.period)).toEqual(report.rows.map(() => today));
    // The checkout, the top-up's look-up of the card, and the fee payment's two with the ILS (the
    // patron's fees read, the fee paid).
    expect(counted(report, 'circulation.transactions')).toBe(4);
    expect(counted(report, 'gate.visitors_in')).toBe(2);
    expect(counted(report, 'gate.alarms')).toBe(1);
    expect(counted(report, 'print.deposits')).toBe(500);
    expect(counted(report, 'cash.taken')).toBe(500);
    expect(counted(report, 'payments.fees_paid')).toBe(500);
    // Yesterday had none of them.
    expect((await day(midnight - DAY_MS, midnight)).rows).toEqual([]);
    // The transaction statistics count them on the day that has begun too.
    const transactions = (await (
      await fetch(
        `${testDesk.api}/api/v1/stats?from=${new Date(midnight - DAY_MS).toISOString()}&to=${new Date(midnight + DAY_MS).toISOString()}&groupBy=day`,
      )
    ).json()) as { timeZone: string; rows: Array<{ day: string; count: number }> };
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(transactions.timeZone);
    expect(transactions.rows.map((row) => row.day)).toEqual(transactions.rows.map(() => today));
    expect(transactions.rows.reduce((sum, row) => sum + row.count, 0)).toBe(4);
  });

  it('counts the visitors on the day that has begun in the visitor statistics too, as the measures do', async () => {
    // The two who came in and the one who walked out with the item, in the test before.
    const today = new Date(midnight + 12 * 3_600_000).toLocaleDateString('en-CA');
    const visitors = async (from: number, to: number, groupBy: string) =>
      (await (
        await fetch(
          `${testDesk.api}/api/v1/stats/visitors?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&groupBy=${groupBy}`,
        )
      ).json()) as {
        from: string;
        timeZone: string;
        rows: Array<{ day?: string; hour?: string; in: number; out: number }>;
      };
    const report = await visitors(midnight - DAY_MS, midnight + DAY_MS, 'day');
    expect(report.rows).toEqual([{ day: today, in: 2, out: 1 }]);
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(report.timeZone);
    // Yesterday, asked midnight to midnight, had nobody: its last half hour is not counted with today's first.
    expect((await visitors(midnight - DAY_MS, midnight, 'day')).rows).toEqual([]);
    // Per hour: the local hour that began at midnight, half past a UTC hour.
    expect((await visitors(midnight, midnight + DAY_MS, 'hour')).rows).toEqual([
      { hour: new Date(midnight).toISOString(), in: 2, out: 1 },
    ]);
  });
});
