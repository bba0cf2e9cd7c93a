import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { browserDay, dayIn, deskZone, zoneOnAnotherDay } from '../helpers/time-zones.js';

const PATRON = '21000003';

/**
 * The print desk's daily report as desk staff read it at the end of the day: the money in and out
 * in the currency and in words, each queue's printing, and the CSV saved as a file for the
 * spreadsheet — on the simulated desk, a day of top-ups, a release and a refund behind it.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the print desk’s daily report', () => {
  const chromium = deskInChromium(
    (config) => ({
      ...config,
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
  );
  const api = () => chromium.testDesk.api;
  const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
  // The desk's zone is this process's (the desk runs in it), and its days.
  const dayAfter = (day: string, days: number) =>
    new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

  it('reads the day in money and words, and saves the CSV as a file', async () => {
    for (const [amountMinor, source] of [
      [200, 'cash-desk'],
      [50, 'payment-device'],
    ] as const) {
      const topUp = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor,
        currency: 'EUR',
        source,
      });
      expect(topUp.status).toBe(201);
    }
    const { jobId, session } = await heldAtStation(api(), server(), '3333', {
      user: PATRON,
      title: 'Minutes',
      pages: 2,
    });
    const released = await releaseAtStation(api(), session, jobId);
    expect(released.status).toBe(200);
    const refund = await callApi(api(), 'POST', '/api/v1/print/releases/refund', {
      requestId: randomUUID(),
      releaseId: released.json.release.id,
      amountMinor: 10,
      reason: 'one page came out blank',
    });
    expect(refund.status).toBe(200);

    const desk = await chromium.openPage('/print-staff');
    const day = await desk.locator('#date').inputValue();
    await desk.getByRole('button', { name: 'Show' }).click();
    const report = desk.locator('#report-out');
    await report.locator('table').first().waitFor({ timeout: 10_000 });
    const rows = async (table: number) =>
      (await report.locator('table').nth(table).locator('tr').allTextContents()).map((row) => row.trim());
    // It was the API's JSON: '"totalMinor": 250', '"bySource": {"cash-desk": 200…'.
    const text = (await report.textContent()) ?? '';
    expect(text).not.toMatch(/[{}"]|Minor|cash-desk|payment-device/);
    const money = await rows(0);
    expect(money).toContain('Top-ups22.50 EUR');
    expect(money).toContain('— Cash at the desk2.00 EUR');
    expect(money).toContain('— Coins and notes at a kiosk or release station0.50 EUR');
    expect(money).toContain('Refunds10.10 EUR');
    expect(await rows(1)).toEqual(['QueuePagesChargedRefundedIncome', 'public-bw20.20 EUR0.10 EUR0.10 EUR']);

    // It wrote the CSV into the page; it is a file the spreadsheet opens, as the API gives it.
    const [download] = await Promise.all([
      desk.waitForEvent('download', { timeout: 10_000 }),
      desk.getByRole('button', { name: 'Save as CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`print-report-${day}.csv`);
    const saved = await readFile((await download.path()) as string, 'utf8');
    const csv = await fetch(`${api()}/api/v1/print/reports/daily.csv?date=${day}`).then((r) => r.text());
    expect(saved).toBe(csv);
    expect(saved).toContain('income,public-bw,,10,EUR');
  });

  it("names in the statement the document each charge was for and where each top-up came from, not the server's job number and the API's codes", async () => {
    const patron = '21000009';
    for (const [amountMinor, source] of [
      [100, 'cash-desk'],
      [30, 'payment-device'],
    ] as const) {
      const topUp = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron,
        amountMinor,
        currency: 'EUR',
        source,
      });
      expect(topUp.status).toBe(201);
    }
    const { jobId, session } = await heldAtStation(api(), server(), '9999', {
      user: patron,
      title: 'Cover letter',
      pages: 3,
    });
    const released = await releaseAtStation(api(), session, jobId);
    expect(released.status).toBe(200);

    const desk = await chromium.openPage('/print-staff');
    await desk.locator('#patron').fill(patron);
    await desk.getByRole('button', { name: 'Find' }).click();
    const entries = desk.locator('#entries tr');
    await expect.poll(() => entries.count(), { timeout: 10_000 }).toBe(3);
    const reasons = await entries.evaluateAll((rows) => rows.map((row) => row.children[4]?.textContent));
    // They read 'Job 9.', 'payment-device' and 'cash-desk'.
    expect(reasons).toEqual([
      '“Cover letter”, 3 pages on public-bw.',
      'Coins and notes at a kiosk or release station',
      'Cash at the desk',
    ]);
  });

  it('says whose card it is, and takes no top-up for a card number the library system does not know', async () => {
    const desk = await chromium.openPage('/print-staff');
    await desk.locator('#patron').fill('2100003');
    await desk.getByRole('button', { name: 'Find' }).click();
    // It showed an empty account like any other, and Top up credited it: money for nobody.
    await expect
      .poll(() => desk.locator('#card-status').textContent(), { timeout: 10_000 })
      .toBe(
        'The library system does not know card “2100003”. Check the number: no top-up or transfer is taken for it.',
      );
    expect(await desk.getByRole('button', { name: 'Top up (cash)' }).isDisabled()).toBe(true);
    await desk.locator('#patron').fill(PATRON);
    await desk.getByRole('button', { name: 'Find' }).click();
    await expect
      .poll(() => desk.locator('#card-status').textContent(), { timeout: 10_000 })
      .toMatch(/^Card of .+\.$/);
    expect(await desk.getByRole('button', { name: 'Top up (cash)' }).isDisabled()).toBe(false);
  });

  it('offers today at the desk as the report’s day on a PC whose clock is a day behind', async () => {
    // Opened on /healthz first, quiet (its favicon is a 404): the page's script errors are watched below.
    const desk = await chromium.openPage('/healthz', { quiet: true });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    // A desk PC without an RTC battery: its clock a day behind the desk's (the test's, here).
    await desk.clock.install({ time: Date.now() - 24 * 3600_000 });
    await desk.goto(`${api()}/print-staff`);
    // The desk's today, as this browser's time zone reckons it.
    const today = await desk.evaluate((now) => {
      const day = new Date(now);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
    }, Date.now());
    await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(today);
    expect(scriptErrors).toEqual([]);
  });

  it('offers the new today as the report’s day once the desk’s midnight has passed, the page left open', async () => {
    // Opened on /healthz first, quiet (its favicon is a 404): the page's script errors are watched below.
    const desk = await chromium.openPage('/healthz', { quiet: true });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    await desk.clock.install();
    await desk.goto(`${api()}/print-staff`);
    // A day at the desk, `days` from `now`, as this browser's time zone reckons it.
    const dayOf = (now: number, days: number) => browserDay(desk, now, days);
    const now = Date.now();
    await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(await dayOf(now, 0));
    // The night passes (to a minute past the desk's next midnight, then a day more): the desk's
    // answers say so, and the page's clocks run on as far.
    let ahead = 0;
    await desk.route('**/api/v1/**', async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), date: new Date(Date.now() + ahead).toUTCString() },
      });
    });
    const passNight = async (ms: number) => {
      ahead += ms;
      await desk.clock.fastForward(ms);
    };
    await passNight(
      await desk.evaluate((now) => {
        const at = new Date(now);
        return new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1, 0, 1).getTime() - now;
      }, now),
    );
    await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(await dayOf(now, 1));
    // A day staff chose stays theirs over the next midnight.
    const chosen = await dayOf(now, -3);
    await desk.locator('#date').fill(chosen);
    await passNight(24 * 3600_000);
    // Its timers ran as the clock went on: the day it would have offered is already decided.
    expect(await desk.locator('#date').inputValue()).toBe(chosen);
    await desk.unrouteAll({ behavior: 'ignoreErrors' });
    expect(scriptErrors).toEqual([]);
  });

  it('offers the new today as the report’s day as a PC that slept past the desk’s midnight wakes', async () => {
    const desk = await chromium.openPage('/healthz', { quiet: true });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    await desk.clock.install();
    await desk.goto(`${api()}/print-staff`);
    const today = dayIn(deskZone());
    await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(today);
    // The PC sleeps until a minute past the desk's midnight: its wall clock runs on, its timers and
    // monotonic clock do not. Woken, the desk's answers say the new time.
    const pastMidnight = new Date(`${dayAfter(today, 1)}T00:01:00`).getTime() - Date.now();
    await desk.route('**/api/v1/**', async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), date: new Date(Date.now() + pastMidnight).toUTCString() },
      });
    });
    await desk.clock.setSystemTime(Date.now() + pastMidnight);
    await desk.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    // Its 30 s look at the day has not run: the wake alone offers the new day.
    await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(dayAfter(today, 1));
    await desk.unrouteAll({ behavior: 'ignoreErrors' });
    expect(scriptErrors).toEqual([]);
  });

  it('offers the desk’s today and writes the account’s times in the desk’s time zone on a PC in a zone on another day', async () => {
    const topUp = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(topUp.status).toBe(201);
    const { statement } = (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON }))
      .json;
    const lastAt = statement.entries[0].at as string;
    // IT at a regional office, many hours from the desk: its day is another than the desk's right now.
    const pcZone = zoneOnAnotherDay();
    const context = await chromium.browser.newContext({ timezoneId: pcZone, locale: 'en-US' });
    try {
      const desk = await context.newPage();
      const scriptErrors: string[] = [];
      desk.on('pageerror', (error) => scriptErrors.push(error.message));
      await desk.goto(`${api()}/print-staff`);
      // The report of the desk's today, not of the PC's.
      await expect.poll(() => desk.locator('#date').inputValue(), { timeout: 5000 }).toBe(dayIn(deskZone()));
      await desk.locator('#patron').fill(PATRON);
      await desk.getByRole('button', { name: 'Find' }).click();
      // The top-up made just now, dated and timed as the desk's clock read it.
      await expect
        .poll(() => desk.locator('#entries tr').first().locator('td').first().textContent(), {
          timeout: 10_000,
        })
        .toBe(new Date(lastAt).toLocaleString('en-US', { timeZone: deskZone() }));
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
