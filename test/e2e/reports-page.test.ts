import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { browserDay, dayIn, deskZone, zoneOnAnotherDay } from '../helpers/time-zones.js';
import { until } from '../helpers/until.js';

// 'keeps no patron in any statistics table' reads the database alone: it runs on every Node.
const skip = chromiumSkipReason();
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const PATRON = '21000001';
const PIN = '1234';

interface Report {
  rows: Array<{ measure: string; period?: string; dims: Record<string, string>; value: number }>;
}

/**
 * The desk report in Debian's Chromium after a scripted stretch of a desk's day on the simulated
 * desk — people through the gate and an alarm, checkouts and a refusal, a print job released and
 * paid from a print account topped up at the desk: every chart and tile shows what the API
 * counts, and a screenshot is kept for a person to look at.
 */
describe.skipIf(skip !== undefined)('the desk report in Chromium', () => {
  let testDesk: TestDesk;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${testDesk.api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the answers of several operations, read loosely in a test
    return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
  };
  const measures = async (query: string): Promise<Report> => {
    const from = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const response = await fetch(`${testDesk.api}/api/v1/stats/measures?from=${from}&to=${to}&${query}`);
    return (await response.json()) as Report;
  };
  const total = (report: Report) => report.rows.reduce((sum, row) => sum + row.value, 0);
  // The desk's zone is this process's (the desk runs in it): its days, and the instant one begins.
  const dayAfter = (day: string, days: number) =>
    new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  const deskMidnight = (day: string) => new Date(`${day}T00:00:00`).toISOString();

  beforeAll(async () => {
    testDesk = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 5 } : s)),
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }));
    await waitForDevice(testDesk.api, 'ils', 'online');
    await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
    await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);

    // The day: people come in and go out (one with an item still secured), patrons borrow
    // (one types a wrong PIN), a patron tops up at the desk and prints, another buys print credit
    // with coins at the kiosk, and a library card is issued.
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    for (let i = 0; i < 5; i++) gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'out', items: [] });
    gate.walk({ direction: 'out', items: ['31000006'] });
    await fetch(`${testDesk.api}/api/v1/gates/exit-1/counters`);
    expect(
      (await post('/api/v1/checkouts', { patron: '21000009', pin: '9999', item: '31000005' })).status,
    ).toBe(200);
    expect(
      (await post('/api/v1/checkouts', { patron: '21000009', pin: '9999', item: '31000004' })).status,
    ).toBe(200);
    expect(
      (await post('/api/v1/checkouts', { patron: '21000009', pin: '0000', item: '31000007' })).status,
    ).toBe(422);
    const deposit = await post('/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 500,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(deposit.status).toBe(201);
    const server = testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const { jobId, session } = await heldAtStation(testDesk.api, server, PIN, {
      user: PATRON,
      title: 'Essay',
      pages: 3,
    });
    const released = await releaseAtStation(testDesk.api, session, jobId);
    expect(released.status).toBe(200);
    await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
    const payment = await post('/api/v1/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 300 },
    });
    expect(payment.status).toBe(201);
    const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
    expect(cash.insertCoin(200)).toMatchObject({ accepted: true });
    await until(async () => {
      const response = await fetch(`${testDesk.api}/api/v1/payments/${payment.body.id}`);
      return ((await response.json()) as { remainingMinor: number }).remainingMinor === 100
        ? true
        : undefined;
    });
    expect(cash.insertCoin(100)).toMatchObject({ accepted: true });
    await until(async () => {
      const response = await fetch(`${testDesk.api}/api/v1/payments/${payment.body.id}`);
      return ((await response.json()) as { state: string }).state === 'completed' ? true : undefined;
    });
    await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
    const card = await post('/api/v1/cards', { patron: '21000002', number: 'patron' });
    expect(card.body).toMatchObject({ result: 'issued' });
    await until(async () => (total(await measures('measure=gate.visitors_in')) >= 5 ? true : undefined));
    await until(async () => (total(await measures('measure=gate.alarms')) >= 1 ? true : undefined));

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await testDesk?.stop();
  });

  it('draws every chart with the totals the API counts, the busy-desk heatmaps and the tiles', async () => {
    await page.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });

    const chartTotal = (id: string) => page.locator(`[data-chart="${id}"]`).getAttribute('data-total');
    expect(Number(await chartTotal('circulation'))).toBe(
      total(await measures('measure=circulation.transactions&period=day&where=outcome:ok')),
    );
    expect(total(await measures('measure=circulation.transactions&where=kind:checkout,outcome:ok'))).toBe(2);
    expect(Number(await chartTotal('refusals'))).toBe(1);
    expect(Number(await chartTotal('channels'))).toBe(Number(await chartTotal('circulation')));
    expect(Number(await chartTotal('visitors'))).toBe(
      total(await measures('measure=gate.visitors_in,gate.visitors_out&period=day')),
    );
    expect(Number(await chartTotal('alarms'))).toBeGreaterThanOrEqual(1);
    expect(Number(await chartTotal('pages'))).toBe(3);
    expect(Number(await chartTotal('print-money'))).toBe(
      total(await measures('measure=print.income,print.refunded,print.payouts')),
    );
    expect(await page.locator('#heat-visitors').getAttribute('data-total')).toBe(
      String(total(await measures('measure=gate.visitors_in'))),
    );
    expect(await page.locator('#heat-transactions').getAttribute('data-total')).toBe(
      String(total(await measures('measure=circulation.transactions'))),
    );
    expect(await page.locator('#totals li[data-measure="print.pages"]').getAttribute('data-value')).toBe('3');
    expect(total(await measures('measure=cash.taken'))).toBe(300); // 3.00 EUR in coins
    expect(Number(await chartTotal('cash'))).toBe(300);
    expect(Number(await chartTotal('cards'))).toBe(1);
    expect(await page.locator('#totals li[data-measure="cards.issued"]').getAttribute('data-value')).toBe(
      '1',
    );
    // Every chart is drawn on its canvas, and its numbers are in a table beneath it.
    for (const id of [
      'circulation',
      'channels',
      'terminals',
      'refusals',
      'visitors',
      'alarms',
      'pages',
      'print-money',
      'cash',
      'cards',
      'availability',
    ]) {
      const card = page.locator(`[data-chart="${id}"]`);
      expect(
        await card.locator('canvas').evaluate((canvas) => (canvas as unknown as { width: number }).width > 0),
      ).toBe(true);
      expect(await card.locator('table.numbers tr').count()).toBeGreaterThan(0);
    }
    const refusals = await page.locator('[data-chart="refusals"] table.numbers').textContent();
    expect(refusals).toContain('invalid_pin');
    expect(await page.content()).not.toContain(PATRON);
    expect(await page.content()).not.toContain('21000009');
    expect(await page.content()).not.toContain('21000002');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'reports.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(OUTPUT, 'reports-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    expect(pageErrors).toEqual([]);
  });

  it('keeps no patron in any statistics table, whatever the day held', () => {
    const db = openDatabase(testDesk.databasePath, { readOnly: true });
    try {
      for (const table of [
        'desk_statistics',
        'gate_visitors',
        'gate_counter_readings',
        'gate_alarms',
        'device_minutes',
      ]) {
        const rows = db.prepare(`SELECT * FROM ${table}`).all();
        if (table === 'desk_statistics' || table === 'gate_visitors')
          expect(rows.length, table).toBeGreaterThan(0);
        const text = JSON.stringify(rows);
        for (const patron of [PATRON, '21000002', '21000009']) expect(text, table).not.toContain(patron);
      }
    } finally {
      db.close();
    }
  });

  it('downloads a chart’s numbers as CSV', async () => {
    const download = page.waitForEvent('download');
    await page.locator('[data-chart="pages"] button.csv').click();
    const file = await download;
    const text = await (await file.createReadStream()).toArray();
    const csv = Buffer.concat(text as Buffer[]).toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('measure,period,colour,queue,value');
    expect(csv).toContain('print.pages,');
    expect(csv).toContain(',mono,public-bw,3');
  });

  it('downloads every figure of the period in one CSV file', async () => {
    const download = page.waitForEvent('download');
    await page.locator('#export').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^carrel-statistics-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
    const csv = Buffer.concat((await (await file.createReadStream()).toArray()) as Buffer[]).toString('utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^measure,unit,period,.*,value$/);
    expect(csv).toMatch(/^cards\.issued,count,\d{4}-\d\d-\d\d,/m);
    expect(csv).toMatch(/^cash\.taken,minor,/m);
    expect(csv).not.toContain(PATRON);
  });

  it('reports the seven days up to today at the desk on a PC whose clock is a day behind', async () => {
    const behind = await browser.newPage();
    behind.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      // A PC without an RTC battery: its clock a day behind the desk's (the test's, here).
      await behind.clock.install({ time: Date.now() - 24 * 3600_000 });
      await behind.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
      await behind.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      // A day at the desk, `days` from today, as this browser's time zone reckons it.
      const deskDay = (days: number) =>
        behind.evaluate(
          ([now, days]) => {
            const day = new Date(now!);
            day.setDate(day.getDate() + days!);
            const pad = (n: number) => String(n).padStart(2, '0');
            return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
          },
          [Date.now(), days],
        );
      expect(await behind.locator('#to').inputValue()).toBe(await deskDay(0));
      expect(await behind.locator('#from').inputValue()).toBe(await deskDay(-6));
    } finally {
      await behind.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('moves the week on to the new today once the desk’s midnight has passed, the page left open', async () => {
    const open = await browser.newPage();
    open.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await open.clock.install();
      await open.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
      await open.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      // A day at the desk, `days` from `now`, as this browser's time zone reckons it; and how long
      // until a minute past the desk's next midnight.
      const dayOf = (now: number, days: number) => browserDay(open, now, days);
      const now = Date.now();
      expect(await open.locator('#to').inputValue()).toBe(await dayOf(now, 0));
      const pastMidnight = await open.evaluate((now) => {
        const at = new Date(now);
        return new Date(at.getFullYear(), at.getMonth(), at.getDate() + 1, 0, 1).getTime() - now;
      }, now);
      // The night passes: the desk's answers say so, and the page's clocks run on as far.
      await open.route('**/api/v1/**', async (route) => {
        const response = await route.fetch();
        await route.fulfill({
          response,
          headers: { ...response.headers(), date: new Date(Date.now() + pastMidnight).toUTCString() },
        });
      });
      await open.clock.fastForward(pastMidnight);
      await expect.poll(() => open.locator('#to').inputValue(), { timeout: 5000 }).toBe(await dayOf(now, 1));
      expect(await open.locator('#from').inputValue()).toBe(await dayOf(now, -5));
      // Read again for the new week, not only its fields changed.
      await expect
        .poll(() => open.locator('#about').textContent(), { timeout: 10_000 })
        .toContain(`${await dayOf(now, -5)} to ${await dayOf(now, 1)}`);
      await open.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      await open.unrouteAll({ behavior: 'ignoreErrors' });
    } finally {
      await open.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('moves the week on to the new today as a PC that slept past the desk’s midnight wakes', async () => {
    const open = await browser.newPage();
    open.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await open.clock.install();
      await open.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
      await open.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      const today = dayIn(deskZone());
      expect(await open.locator('#to').inputValue()).toBe(today);
      // The PC sleeps until a minute past the desk's midnight: its wall clock runs on, its timers
      // and monotonic clock do not. Woken, the desk's answers say the new time.
      const pastMidnight = Date.parse(deskMidnight(dayAfter(today, 1))) + 60_000 - Date.now();
      await open.route('**/api/v1/**', async (route) => {
        const response = await route.fetch();
        await route.fulfill({
          response,
          headers: { ...response.headers(), date: new Date(Date.now() + pastMidnight).toUTCString() },
        });
      });
      await open.clock.setSystemTime(Date.now() + pastMidnight);
      await open.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
      // Its 30 s look at the day has not run: the wake alone moved the week on, and read it again.
      await expect.poll(() => open.locator('#to').inputValue(), { timeout: 5000 }).toBe(dayAfter(today, 1));
      expect(await open.locator('#from').inputValue()).toBe(dayAfter(today, -5));
      await expect
        .poll(() => open.locator('#about').textContent(), { timeout: 10_000 })
        .toContain(`${dayAfter(today, -5)} to ${dayAfter(today, 1)}`);
      await open.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      await open.unrouteAll({ behavior: 'ignoreErrors' });
    } finally {
      await open.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('reports the desk’s week, its days cut in the desk’s time zone, on a PC in a zone on another day', async () => {
    // IT at a regional office, many hours from the desk: its day is another than the desk's right now.
    const pcZone = zoneOnAnotherDay();
    const context = await browser.newContext({ timezoneId: pcZone, locale: 'en-US' });
    const away = await context.newPage();
    away.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      const asked: URL[] = [];
      away.on('request', (request) => {
        const url = new URL(request.url());
        if (url.pathname === '/api/v1/stats/measures') asked.push(url);
      });
      await away.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
      await away.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      const today = dayIn(deskZone());
      const weekAgo = dayAfter(today, -6);
      // The seven days up to today at the desk, not at the PC.
      expect(await away.locator('#to').inputValue()).toBe(today);
      expect(await away.locator('#from').inputValue()).toBe(weekAgo);
      expect(await away.locator('#about').textContent()).toContain(
        `${weekAgo} to ${today}, in ${deskZone()}`,
      );
      // Asked for the desk's days: from the desk's midnight, cut in its zone.
      expect(asked.length).toBeGreaterThan(0);
      for (const url of asked) expect(url.searchParams.get('timeZone')).toBe(deskZone());
      expect(asked.map((url) => url.searchParams.get('from'))).toContain(deskMidnight(weekAgo));
      expect(asked.map((url) => url.searchParams.get('to'))).toContain(deskMidnight(dayAfter(today, 1)));
      // Today's row says today's visitors at the desk (five walked in this morning).
      const inToday = total(
        (await (
          await fetch(
            `${testDesk.api}/api/v1/stats/measures?from=${deskMidnight(today)}&to=${deskMidnight(dayAfter(today, 1))}&measure=gate.visitors_in&period=total`,
          )
        ).json()) as Report,
      );
      expect(inToday).toBeGreaterThanOrEqual(5);
      const rows = await away
        .locator('[data-chart="visitors"] table.numbers tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      expect(rows.map((row) => row[0])).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => dayAfter(weekAgo, n)));
      expect(rows.at(-1)?.[1]).toBe(String(inToday)); // the "in" column
    } finally {
      await context.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('compares with the days before, midnight to midnight, across a clock change', async () => {
    // A desk in Berlin (its Carrel's zone), read at an office in New York: the week after the spring
    // change (29 March 2026, a 23-hour day) beside the week that holds it.
    const zoneWas = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    const context = await browser.newContext({ timezoneId: 'America/New_York' });
    const berlin = await context.newPage();
    berlin.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      const asked: Array<{ from: string; to: string }> = [];
      berlin.on('request', (request) => {
        const url = new URL(request.url());
        if (url.pathname === '/api/v1/stats/measures' && url.searchParams.get('period') === 'total')
          asked.push({ from: url.searchParams.get('from')!, to: url.searchParams.get('to')! });
      });
      await berlin.goto(`${testDesk.api.replace(/\/api\/v1$/, '')}/reports`);
      await berlin.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      asked.length = 0;
      await berlin.locator('#from').fill('2026-03-30');
      await berlin.locator('#to').fill('2026-04-05');
      await berlin.getByRole('button', { name: 'Show' }).click();
      await berlin.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      // Midnight CEST (UTC+2) to midnight; the week before from midnight CET (UTC+1), not 01:00.
      expect(asked).toEqual(
        expect.arrayContaining([
          { from: '2026-03-29T22:00:00.000Z', to: '2026-04-05T22:00:00.000Z' },
          { from: '2026-03-22T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' },
        ]),
      );
      expect(await berlin.locator('#about').textContent()).toContain(
        '2026-03-30 to 2026-04-05, in Europe/Berlin',
      );
    } finally {
      if (zoneWas === undefined) delete process.env.TZ;
      else process.env.TZ = zoneWas;
      await context.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
