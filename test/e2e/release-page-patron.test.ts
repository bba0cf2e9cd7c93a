import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000002';
const PIN = '2222';

/** The release station as a patron meets it when something stands in the way of printing. */
describe.skipIf(chromiumSkipReason() !== undefined)('the release station, in Chromium', () => {
  const chromium = deskInChromium(
    (config) => ({
      ...config,
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    {
      ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
      // The release the balance does not cover is answered 402, a login refused 422: the browser
      // logs those as failed loads.
      consoleError: (text) => !/status of (402|422)/.test(text),
    },
  );
  const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

  const logIn = (station: Page) => logInAtRelease(station, PATRON, PIN);

  it("logs nobody in with the card number alone: it asks for the PIN, and the patron's documents are not shown", async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Medical letter', pages: 1 });
    const station = await chromium.openPage('/release');
    const show = station.getByRole('button', { name: 'Show my print jobs' });
    await show.click();
    await expect
      .poll(() => station.locator('#alert').textContent())
      .toBe('Type your library card number and your PIN, then press Show my print jobs.');
    await station.locator('#card').fill(PATRON);
    await show.click();
    // It logged the card in without its PIN and listed 'Medical letter'.
    await expect
      .poll(() => station.locator('#alert').textContent())
      .toBe('Type your PIN, then press Show my print jobs.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await station.locator('#screen-jobs').isHidden()).toBe(true);
    expect(await station.locator('body').textContent()).not.toContain('Medical letter');
    expect(await station.locator('#pin').evaluate((pin) => pin.ownerDocument.activeElement === pin)).toBe(
      true,
    );
    // With the PIN the patron is in.
    await station.locator('#pin').fill(PIN);
    await show.click();
    await station.locator(`[data-job="public-bw/${jobId}"]`).waitFor({ timeout: 10_000 });
    server().model.cancel(jobId);
  });

  it("says why a login was refused in the patron's words, not the library system's", async () => {
    const station = await chromium.openPage('/release');
    const show = station.getByRole('button', { name: 'Show my print jobs' });
    const alert = station.locator('#alert');
    for (const [card, pin, words] of [
      // It read 'Not logged in: Invalid PIN'.
      [PATRON, '9999', 'Not logged in: that PIN does not match this library card. Type your PIN again.'],
      // 'Not logged in: Unknown patron'.
      [
        '29999999',
        '1234',
        'Not logged in: this library card is not known. Check the number, or ask at the desk.',
      ],
      // 'Not logged in: the body is not valid'.
      ['', '1234', 'Type your library card number and your PIN, then press Show my print jobs.'],
    ] as const) {
      await station.locator('#card').fill(card);
      await station.locator('#pin').fill(pin);
      await show.click();
      await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe(words);
      expect(await station.locator('#screen-jobs').isHidden()).toBe(true);
      // A refused PIN is typed again from the start.
      if (card !== '') expect(await station.locator('#pin').inputValue()).toBe('');
    }
  });

  it('says in money, not minor units, that the balance does not cover the job', async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Thesis', pages: 30 });
    const station = await chromium.openPage('/release');
    await logIn(station);
    const row = station.locator(`[data-job="public-bw/${jobId}"]`);
    await expect.poll(() => row.locator('.cost').textContent(), { timeout: 10_000 }).toMatch(/3[.,]00/);
    await row.getByRole('button', { name: 'Print' }).click();
    // It said 'the balance (0 minor units) does not cover 300'.
    await expect
      .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
      .toMatch(/“Thesis” was not printed: it costs 3\.00 EUR and your balance is 0\.00 EUR\. Top up/);
    expect(await station.locator('#alert').textContent()).not.toMatch(/minor units/);
    expect(server().job(jobId)?.state).toBe('pending-held');
  });

  it('shows no "Charged" heading until something has been charged, then the heading and what was charged', async () => {
    const patron = '21000006';
    const jobId = await server().submit({ user: patron, title: 'Bus timetable', pages: 1 });
    const station = await chromium.openPage('/release');
    await logInAtRelease(station, patron, '6666');
    const row = station.locator(`[data-job="public-bw/${jobId}"]`);
    await expect.poll(() => row.locator('.cost').textContent(), { timeout: 10_000 }).toMatch(/0[.,]10/);
    const charged = station.getByRole('heading', { name: 'Charged' });
    // It showed 'Charged' over nothing to a patron who had never printed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await charged.isVisible()).toBe(false);
    expect(await station.locator('#screen-jobs').innerText()).not.toContain('Charged');

    const topUp = await callApi(chromium.testDesk.api, 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(topUp.status).toBe(201);
    await station.getByRole('button', { name: 'Done' }).click();
    await logInAtRelease(station, patron, '6666');
    await row.getByRole('button', { name: 'Print' }).click();
    await expect.poll(() => charged.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(() => station.getByRole('list', { name: 'Charged' }).textContent(), { timeout: 10_000 })
      .toMatch(/^Bus timetable: 1 page, 0\.10 EUR charged — /);
  });

  it('takes a patron with the keyboard alone from screen to screen, the focus on each new screen, never lost', async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Course notes', pages: 1 });
    const station = await chromium.openPage('/release');
    /** Where the keyboard is: the focused field's id or the text of what else has it, '' when nothing of a screen shown has it. */
    const focused = () =>
      station.evaluate<string>(`(() => {
        const at = document.activeElement;
        if (!at || at === document.body || !at.closest('.screen:not([hidden])')) return '';
        return at.tagName === 'INPUT' ? at.id : at.textContent.trim();
      })()`);
    // The station waits for a card: typed (or scanned by a keyboard scanner) at once.
    await expect.poll(focused).toBe('card');
    await station.keyboard.type(PATRON);
    await station.keyboard.press('Enter');
    expect(await focused()).toBe('pin');
    await station.keyboard.type(PIN);
    await station.keyboard.press('Enter');
    const row = station.locator(`[data-job="public-bw/${jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    // Logged in, the focus was left on the login screen just hidden: nothing showed where it was,
    // a screen reader said nothing of the new screen, and the next Tab went wherever it went.
    await expect.poll(focused).toBe('Your print jobs');
    await station.keyboard.press('Tab');
    expect(await focused()).toBe('Print');
    // Done: the next patron types (or scans) a card at once.
    await station.getByRole('button', { name: 'Done' }).focus();
    await station.keyboard.press('Enter');
    await station.locator('#screen-login').waitFor({ state: 'visible' });
    await expect.poll(focused).toBe('card');
    // …or taps it on the number keys: they typed the next patron's card into the PIN field, as dots.
    await station.getByRole('group', { name: 'Number keys' }).getByRole('button', { name: '2' }).click();
    expect(await station.locator('#card').inputValue()).toBe('2');
    expect(await station.locator('#pin').inputValue()).toBe('');
    server().model.cancel(jobId);
  });

  it('names each Print by its document, pages and price, and the keypad’s ⌫ in words, for a screen reader', async () => {
    const essay = await server().submit({ user: PATRON, title: 'Essay', pages: 2 });
    const poster = await server().submit({ user: PATRON, title: 'Poster', pages: 1 });
    const station = await chromium.openPage('/release');
    // The key that takes the last digit back was read as "⌫" (or nothing at all).
    const keys = station.getByRole('group', { name: 'Number keys' });
    await keys
      .getByRole('button', { name: 'Delete the last digit', exact: true })
      .waitFor({ timeout: 5_000 });
    await station.locator('#card').fill('210');
    await keys.getByRole('button', { name: 'Delete the last digit', exact: true }).click();
    expect(await station.locator('#card').inputValue()).toBe('21');
    await logIn(station);
    for (const id of [essay, poster])
      await expect
        .poll(() => station.locator(`[data-job="public-bw/${id}"] .cost`).textContent(), { timeout: 10_000 })
        .not.toBe('');
    // Every job's button was named "Print" alone: which one prints what could not be told.
    await station
      .getByRole('button', { name: 'Print “Essay”, 2 pages, 0.20 EUR', exact: true })
      .waitFor({ timeout: 5_000 });
    await station
      .getByRole('button', { name: 'Print “Poster”, 1 page, 0.10 EUR', exact: true })
      .waitFor({ timeout: 5_000 });
    server().model.cancel(essay);
    server().model.cancel(poster);
  });

  it('logs out a patron who walked away without pressing Done: nothing of theirs stays on the screen', async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Medical letter', pages: 1 });
    const station = await chromium.openPage('/release');
    await station.clock.install();
    await logIn(station);
    const row = station.locator(`[data-job="public-bw/${jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await station.locator('#who').textContent()).not.toBe('');
    // A touch keeps the patron logged in.
    await station.clock.fastForward(60_000);
    await station.locator('#balance').click();
    await station.clock.fastForward(60_000);
    expect(await station.locator('#screen-jobs').isVisible()).toBe(true);
    // Then nobody touches the station: the next person found the name, balance and documents
    // (Carrel had ended the session after two minutes; the page kept showing it for good).
    await station.clock.fastForward(91_000);
    await station.locator('#screen-login').waitFor({ state: 'visible', timeout: 5_000 });
    expect(await station.locator('#who').textContent()).toBe('');
    expect(await station.locator('body').textContent()).not.toContain('Medical letter');
    expect(await station.locator('#card').isVisible()).toBe(true);
  });

  it("says 'Reconnecting…' when its link to Carrel goes silent without closing, and comes back by itself", async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Thesis draft', pages: 1 });
    // The station reaches Carrel through a link that can go silent as a pulled cable does: nothing
    // closes, nothing answers.
    const link = await StallingProxy.start(Number(new URL(chromium.testDesk.api).port));
    try {
      const station = await chromium.openPage('/release');
      await station.goto(`http://127.0.0.1:${link.port}/release`);
      await logIn(station);
      const print = station
        .locator(`[data-job="public-bw/${jobId}"]`)
        .getByRole('button', { name: /^Print/ });
      await until(async () => (await print.isEnabled()) || undefined, 15_000, 'Print was never offered');
      const linkLine = station.getByRole('alert').filter({ hasText: 'Reconnecting' });
      expect(await linkLine.count()).toBe(0);

      link.stall();
      // Carrel drops a WebSocket that misses its pings only after 30 to 60 s: before then, only
      // the station itself can notice. It showed the balance and the jobs as if live for good.
      await until(
        async () => (await linkLine.count()) === 1 || undefined,
        25_000,
        'the station never said it had lost its link to Carrel',
      );
      expect(await linkLine.textContent()).toMatch(/^Reconnecting… This station has lost its link/);

      link.resume();
      await until(
        async () => (await linkLine.count()) === 0 || undefined,
        25_000,
        'the station never came back',
      );
      // Back by itself: the patron is still logged in, her job can be printed.
      expect(await station.locator('#screen-jobs').isVisible()).toBe(true);
      await until(async () => (await print.isEnabled()) || undefined, 15_000, 'Print was not offered again');
    } finally {
      await link.close();
    }
    server().model.cancel(jobId);
  }, 90_000);
});
