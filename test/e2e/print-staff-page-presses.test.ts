import { randomUUID } from 'node:crypto';
import type { Locator, Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { fastPrinting, waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import {
  countedAtDesk,
  findOnPrintDesk,
  heldAtStation,
  openPrintDesk,
  releaseAtStation,
} from '../helpers/print-desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000003';

interface Release {
  id: string;
  jobId: number;
  amountMinor: number;
  refundedMinor: number;
  state: string;
}

/** The print desk page as staff press its money buttons: a double click moves the money once. */
describe.skipIf(chromiumSkipReason() !== undefined)('the print desk page, pressed twice', () => {
  // The simulated printer prints a page in 5 ms (200 by default): what is refunded is what was
  // printed, however fast.
  const chromium = deskInChromium(fastPrinting, {
    ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
    // The refund refused is answered 422, the payout of a balance changed meanwhile 409: the
    // browser logs those as failed loads.
    consoleError: (text) => !text.includes('status of 422') && !text.includes('status of 409'),
  });
  const api = () => chromium.testDesk.api;
  const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

  const account = async () =>
    (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON })).json as {
      statement: { balanceMinor: number; entries: Array<{ kind: string; amountMinor: number }> };
      releases: Release[];
    };

  /** A job of `pages` printed and completed for the patron, paid from a top-up of `depositMinor`. */
  async function printed(pages: number, depositMinor: number): Promise<Release> {
    await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: depositMinor,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const { jobId, session } = await heldAtStation(api(), server(), '3333', {
      user: PATRON,
      title: 'Report',
      pages,
    });
    expect((await releaseAtStation(api(), session, jobId)).status).toBe(200);
    return until(
      async () => (await account()).releases.find((r) => r.jobId === jobId && r.state === 'completed'),
      20_000,
      'the job never completed',
      100,
    );
  }

  /** Two presses as a person's double click makes them: the second ~150 ms after the first. */
  async function doublePress(button: Locator): Promise<void> {
    await button.click();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await button.click({ force: true, timeout: 1000 }).catch(() => {});
  }

  /**
   * The page's requests to `path` as the browser sends them, and whether each has been answered:
   * what a press sent is known at once, not after a wait long enough for it to land.
   */
  function requestsTo(page: Page, path: string) {
    const sent: Request[] = [];
    const answered = new Set<Request>();
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === path) sent.push(request);
    });
    page.on('requestfinished', (request) => answered.add(request));
    page.on('requestfailed', (request) => answered.add(request));
    return {
      get sent() {
        return sent.length;
      },
      /** Once the page has handled the presses made so far, every request they sent has been answered. */
      async settled(): Promise<void> {
        // A press's handler sends its request as it runs (fetch, nothing awaited before it): one
        // turn of the page's event loop after the press, its request has been seen here.
        await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
        await expect
          .poll(() => sent.every((request) => answered.has(request)), { timeout: 10_000 })
          .toBe(true);
      },
    };
  }

  async function openDesk() {
    const desk = await chromium.openPage('/print-staff');
    await findOnPrintDesk(desk, PATRON);
    return desk;
  }

  it('a double click on Refund with an amount typed refunds it once', async () => {
    const release = await printed(3, 100);
    const desk = await openDesk();
    const refunds = requestsTo(desk, '/api/v1/print/releases/refund');
    const row = desk.locator('#releases tr', { hasText: 'Report' }).first();
    await row.waitFor({ timeout: 10_000 });
    await desk.locator('#amount').fill('0.10');
    await doublePress(row.getByRole('button', { name: 'Refund' }));
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toMatch(/Refunded 0\.10 EUR/);
    // A second refund, if one was sent, has landed.
    await refunds.settled();
    expect(refunds.sent).toBe(1);
    const after = (await account()).releases.find((r) => r.id === release.id);
    // It refunded 0.20: the second click came after the first's answer and was sent as a new refund.
    expect(after?.refundedMinor).toBe(10);
    expect(await desk.locator('#alert').textContent()).toMatch(/^Refunded 0\.10 EUR\.$/);
  });

  it('a refund the desk refuses says why on the page', async () => {
    const release = await printed(1, 10);
    const desk = await openDesk();
    const row = desk.locator('#releases tr', { hasText: 'Report' }).first();
    await row.waitFor({ timeout: 10_000 });
    await desk.locator('#amount').fill('9.00');
    await row.getByRole('button', { name: 'Refund' }).click();
    // Nothing was said: the refusal was lost in the page's console.
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toMatch(/^At most 0\.10 EUR of “Report” can still be refunded: nothing was refunded\.$/);
    expect(await desk.locator('#alert').isVisible()).toBe(true);
    expect((await account()).releases.find((r) => r.id === release.id)?.refundedMinor).toBe(0);
  });

  it('a double click on Top up credits once and says so', async () => {
    const before = (await account()).statement.balanceMinor;
    const desk = await openDesk();
    const deposits = requestsTo(desk, '/api/v1/print/accounts/deposit');
    await desk.locator('#amount').fill('2.00');
    await doublePress(desk.getByRole('button', { name: 'Top up (cash)' }));
    // A second top-up, if one was sent, has landed.
    await deposits.settled();
    expect(deposits.sent).toBe(1);
    expect((await account()).statement.balanceMinor).toBe(before + 200);
    // The second click found the amount cleared and said 'Type an amount such as €5.00', as if the
    // top-up had not been made: both clicks were handled before this, and the alert says the top-up.
    await expect
      .poll(() => desk.locator('#alert').textContent())
      .toMatch(/^Topped up: the balance is \d+\.\d{2} EUR\.$/);
  });

  it('asks before paying out the balance, saying the amount, and pays nothing when cancelled', async () => {
    const topUp = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 250,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(topUp.status).toBe(201);
    const before = (await account()).statement.balanceMinor;
    const amount = `${(before / 100).toFixed(2)} EUR`;
    const desk = await openDesk();
    const payouts = requestsTo(desk, '/api/v1/print/accounts/payout');
    const question = desk.locator('#payout-confirm');
    await desk.getByRole('button', { name: 'Pay out balance' }).click();
    // It paid the whole balance out at this one press.
    await expect.poll(() => question.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await question.locator('p').textContent()).toBe(
      `Pay out ${amount} in cash? The print balance goes to 0.00 EUR.`,
    );
    expect((await account()).statement.balanceMinor).toBe(before);
    await question.getByRole('button', { name: 'Cancel' }).click();
    expect(await question.isVisible()).toBe(false);
    // Cancel sent nothing (nor did the press that asked), and nothing was paid.
    await payouts.settled();
    expect(payouts.sent).toBe(0);
    expect((await account()).statement.balanceMinor).toBe(before);

    await desk.getByRole('button', { name: 'Pay out balance' }).click();
    await question.getByRole('button', { name: `Pay out ${amount}` }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toBe(`Paid out ${amount}.`);
    expect((await account()).statement.balanceMinor).toBe(0);
    expect(await question.isVisible()).toBe(false);
    // Nothing left: nothing is asked. (The money buttons rest a moment after a payout: pressed once
    // they are offered again.)
    await expect
      .poll(() => desk.getByRole('button', { name: 'Pay out balance' }).isEnabled(), { timeout: 5000 })
      .toBe(true);
    await desk.getByRole('button', { name: 'Pay out balance' }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toBe('There is nothing to pay out: the balance is 0.00 EUR.');
    expect(await question.isVisible()).toBe(false);
    // One payout in all: the one confirmed.
    await payouts.settled();
    expect(payouts.sent).toBe(1);
  });

  it('pays out nothing when the balance changed between the question and the press, and asks again with the new amount', async () => {
    await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 250,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const before = (await account()).statement.balanceMinor;
    const eur = (minor: number) => `${(minor / 100).toFixed(2)} EUR`;
    const desk = await openDesk();
    const question = desk.locator('#payout-confirm');
    await desk.getByRole('button', { name: 'Pay out balance' }).click();
    await expect.poll(() => question.isVisible(), { timeout: 10_000 }).toBe(true);
    // A top-up lands after staff read the question, just as they press: the payout reaches Carrel
    // with the balance 1.00 EUR more than the amount they are counting out.
    await desk.route('**/api/v1/print/accounts/payout', async (route) => {
      await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor: 100,
        currency: 'EUR',
        source: 'cash-desk',
      });
      await route.continue();
    });
    await question.getByRole('button', { name: `Pay out ${eur(before)}` }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toBe(
        `Nothing was paid out: the balance changed meanwhile (${eur(before)} was asked). It is now ${eur(before + 100)}.`,
      );
    expect((await account()).statement.balanceMinor).toBe(before + 100);
    expect(await question.locator('p').textContent()).toBe(
      `Pay out ${eur(before + 100)} in cash? The print balance goes to 0.00 EUR.`,
    );
    await desk.unroute('**/api/v1/print/accounts/payout');
    await question.getByRole('button', { name: `Pay out ${eur(before + 100)}` }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 10_000 })
      .toBe(`Paid out ${eur(before + 100)}.`);
    expect((await account()).statement.balanceMinor).toBe(0);
  });

  it('on a link cut between it and Carrel, says a top-up was not answered instead of holding the buttons, and tops up once when pressed again', async () => {
    // The page reaches Carrel through a proxy that stalls as a cut network does: nothing answers,
    // nothing is closed (Carrel stopping closes the page's connections, which the page hears).
    const proxy = await StallingProxy.start(Number(new URL(api()).port));
    const desk = await chromium.browser.newPage();
    const errors: string[] = [];
    desk.on('pageerror', (error) => errors.push(error.message));
    try {
      // The page's own timers, its 15 s deadline among them, run on a clock the test can move on.
      await desk.clock.install();
      await openPrintDesk(desk, `http://127.0.0.1:${proxy.port}`, PATRON);
      const before = (await account()).statement;
      const deposits = requestsTo(desk, '/api/v1/print/accounts/deposit');
      const topUp = desk.getByRole('button', { name: 'Top up (cash)' });

      proxy.stall();
      await desk.locator('#amount').fill('1.50');
      const sent = desk.waitForRequest((request) => request.url().endsWith('/api/v1/print/accounts/deposit'));
      await topUp.click();
      await sent;
      // It said nothing, the money buttons held, for as long as TCP kept trying (minutes): the
      // page's clock is moved past its deadline (the link stays stalled meanwhile).
      const reread = desk.waitForRequest((request) => request.url().endsWith('/api/v1/print/accounts/find'));
      await desk.clock.fastForward(16_000);
      await expect
        .poll(() => desk.locator('#alert').textContent(), { timeout: 30_000 })
        .toMatch(/^Carrel did not answer .*not known whether that was done.*never made twice\.$/);
      await expect.poll(() => topUp.isEnabled(), { timeout: 5_000 }).toBe(true);
      // The account it can no longer read again is not left looking live (its read not answered).
      await reread;
      await desk.clock.fastForward(16_000);
      await expect
        .poll(() => desk.locator('#link').textContent(), { timeout: 30_000 })
        .toMatch(/^Not connected to Carrel/);

      // The link is back: pressed again, the same top-up is sent, and the patron is topped up once.
      proxy.resume();
      await topUp.click();
      await expect
        .poll(() => desk.locator('#alert').textContent(), { timeout: 15_000 })
        .toBe(`Topped up: the balance is ${((before.balanceMinor + 150) / 100).toFixed(2)} EUR.`);
      await deposits.settled();
      const after = (await account()).statement;
      expect(after.balanceMinor).toBe(before.balanceMinor + 150);
      expect(after.entries.length).toBe(before.entries.length + 1);
      await expect.poll(() => desk.locator('#link').isVisible(), { timeout: 15_000 }).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await desk.close();
      await proxy.close();
    }
  }, 90_000);

  it('lists a held job the printer cannot take with why, beside its price (last: the print server stays stopped)', async () => {
    const jobId = await server().submit({ user: PATRON, title: 'Minutes', pages: 1 });
    await countedAtDesk(api(), [jobId]);
    await server().close();
    await waitForDevice(api(), 'public-bw', 'offline', 15_000);
    const desk = await openDesk();
    const row = desk.locator('#held tr', { hasText: 'Minutes' });
    // It showed '€0.10' and nothing of why the patron could not print it.
    await expect
      .poll(() => row.locator('td').nth(3).textContent(), { timeout: 10_000 })
      .toMatch(/^0\.10 EUR — the print server of queue "public-bw" cannot be reached$/);
  });
});
