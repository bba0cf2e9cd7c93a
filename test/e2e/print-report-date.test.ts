/**
 * The print desk's daily report asked for a day that is not in the calendar (a typo such as
 * 2026-11-36, or 30 February): it is refused in words, in JSON and in CSV, and never answered
 * with another day's money under the date that was typed. Over HTTP on the simulated desk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const pad = (n: number) => String(n).padStart(2, '0');

/** Today as the previous month's day past its end: 2026-12-06 is written 2026-11-36. */
function todayPastLastMonthsEnd(): string {
  const today = new Date();
  const lastMonthsEnd = new Date(today.getFullYear(), today.getMonth(), 0);
  return `${lastMonthsEnd.getFullYear()}-${pad(lastMonthsEnd.getMonth() + 1)}-${pad(lastMonthsEnd.getDate() + today.getDate())}`;
}

describe('the daily print report of a day not in the calendar', () => {
  it('is refused with the date named, in JSON and CSV, and does not answer another day’s money', async () => {
    const topUp = await fetch(`${testDesk.api}/api/v1/print/accounts/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requestId: randomUUID(),
        patron: '21000001',
        amountMinor: 500,
        currency: 'EUR',
      }),
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
    const today = new Date();
    const date = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
    const report = await fetch(`${testDesk.api}/api/v1/print/reports/daily?date=${date}`);
    expect(report.status).toBe(200);
    expect(((await report.json()) as { deposits: { totalMinor: number } }).deposits.totalMinor).toBe(500);
  });
});
