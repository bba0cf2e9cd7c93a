import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { countedAtDesk } from '../helpers/print-desk.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { until } from '../helpers/until.js';

/**
 * A patron whose balance does not cover a document, at a release station with coin and note
 * acceptors (`/release#cash=coins-1,notes-1`): the station takes the money there, puts it on the
 * balance once, and the document prints. The station used to send the patron 'to the print desk or
 * the payment kiosk', and the payment kiosk pays fees only: there was nowhere to put coins in.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('topping up at the release station', () => {
  const chromium = deskInChromium(
    // The desk asks for the PIN to pay: the station's login checked it, and is not asked again.
    (config) => ({
      ...config,
      payments: { ...config.payments, requirePin: true },
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    {
      ready: async (testDesk) => {
        for (const id of ['public-bw', 'coins-1', 'notes-1', 'ils'])
          await waitForDevice(testDesk.api, id, 'online', 15_000);
      },
    },
  );
  const api = () => chromium.testDesk.api;
  const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
  const cash = () => chromium.testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  const statement = async (patron: string) =>
    (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron })).json.statement as {
      balanceMinor: number;
      entries: Array<{ kind: string; amountMinor: number; source: string | null }>;
    };

  async function waitingJob(patron: string, title: string, pages: number): Promise<number> {
    const id = await server().submit({ user: patron, title, pages });
    await countedAtDesk(api(), [id]);
    return id;
  }

  async function station(patron: string, pin: string): Promise<Page> {
    const page = await chromium.openPage('/release#cash=coins-1,notes-1');
    await logInAtRelease(page, patron, pin);
    return page;
  }

  it('takes coins for the balance there, credits them once, and the document then prints', async () => {
    const patron = '21000001';
    const job = await waitingJob(patron, 'Boarding pass', 2);
    const page = await station(patron, '1234');
    const row = page.locator(`[data-job="public-bw/${job}"]`);
    await row.getByText(/0[.,]20 EUR/).waitFor({ timeout: 10_000 });
    await expect
      .poll(() => page.locator('#release-all-why').textContent(), { timeout: 5_000 })
      .toMatch(/Press Top up to add money here with coins and notes, then print\./);

    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByRole('button', { name: '1.00 EUR' }).click();
    await page.getByText('Insert 1.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
    await until(async () =>
      (await page.locator('#topup-accepting').textContent())?.includes('0.50 EUR') ? true : undefined,
    );
    expect(cash().insertCoin(50)).toMatchObject({ accepted: true });
    await expect.poll(() => page.locator('#topup-paid').textContent(), { timeout: 10_000 }).toBe('0.50 EUR');
    expect(cash().insertCoin(50)).toMatchObject({ accepted: true });
    // Paid in full: back at the jobs with the balance as it is now.
    await page.getByText('1.00 EUR was added to your balance.').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#balance').textContent(), { timeout: 10_000 }).toBe('1.00 EUR');
    const after = await statement(patron);
    expect(after.entries.filter((e) => e.kind === 'deposit')).toEqual([
      expect.objectContaining({ amountMinor: 100, source: 'payment-device' }),
    ]);
    // The acceptors take nothing once the top-up has ended.
    expect(cash().insertCoin(50)).toMatchObject({ accepted: false });

    await row.getByRole('button', { name: 'Print' }).click();
    await page.getByText(/“Boarding pass” (is printing|was printed): 0\.20 EUR charged/).waitFor({
      timeout: 15_000,
    });
    expect((await statement(patron)).balanceMinor).toBe(80);
  });

  it('puts what was inserted on the balance when the patron presses Done halfway, and the acceptors stop', async () => {
    const patron = '21000002';
    await waitingJob(patron, 'Tax form', 3);
    const page = await station(patron, '2222');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByRole('button', { name: '2.00 EUR' }).click();
    await page.getByText('Insert 2.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
    expect(cash().insertCoin(50)).toMatchObject({ accepted: true });
    await expect.poll(() => page.locator('#topup-paid').textContent(), { timeout: 10_000 }).toBe('0.50 EUR');
    await page.getByRole('button', { name: 'Back to my print jobs' }).click();
    await page.getByText('0.50 EUR was added to your balance.').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('#screen-login').waitFor({ state: 'visible' });
    expect(cash().insertCoin(50)).toMatchObject({ accepted: false });
    const after = await statement(patron);
    expect(after.balanceMinor).toBe(50);
    expect(after.entries.filter((e) => e.kind === 'deposit').length).toBe(1);
  });

  it('ends the top-up when the station page is closed mid-way: what went in is credited, and the acceptors stop at once', async () => {
    const patron = '21000008';
    const page = await station(patron, '8888');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByRole('button', { name: '5.00 EUR' }).click();
    await page.getByText('Insert 5.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
    expect(cash().insertCoin(100)).toMatchObject({ accepted: true });
    await expect.poll(() => page.locator('#topup-paid').textContent(), { timeout: 10_000 }).toBe('1.00 EUR');
    // The station's browser restarted: the next person's coins must not go to this patron.
    await page.reload();
    await until(async () => (cash().insertCoin(100).accepted ? undefined : true), 5_000);
    await until(async () => ((await statement(patron)).balanceMinor === 100 ? true : undefined), 10_000);
    expect((await statement(patron)).entries.filter((e) => e.kind === 'deposit')).toHaveLength(1);
  });

  it('gives up the cancel it sends as the page is hidden after the 15 s the station’s other calls have, when the desk hangs', async () => {
    const patron = '21000008';
    // The page's clock runs as a clock does, and on at once when the test says.
    const page = await chromium.openPage('/healthz', { quiet: true });
    await page.clock.install();
    await page.goto(`${api()}/release#cash=coins-1,notes-1`);
    await logInAtRelease(page, patron, '8888');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByRole('button', { name: '1.00 EUR' }).click();
    await page.getByText('Insert 1.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
    // The desk hangs: the cancel sent as the page is hidden (put in the back/forward cache, say:
    // the page lives on) is never answered. It is given up after the deadline, as every other call
    // of the station is, not held for ever.
    const cancels: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.method() === 'DELETE') cancels.push(request.failure()?.errorText ?? '');
    });
    const held: Route[] = [];
    await page.route('**/api/v1/payments/*', (route) =>
      route.request().method() === 'DELETE' ? void held.push(route) : route.fallback(),
    );
    await page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))");
    await page.clock.fastForward(15_000);
    await expect.poll(() => cancels.length, { timeout: 4000 }).toBe(1);
    // The desk never had it: a request given up by the page but still held here would go on to
    // Carrel once unrouted (a keepalive request outlives its page's abort), and cancel the top-up
    // under the patron's finger.
    for (const route of held) await route.abort().catch(() => {});
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    // The patron ends it: the acceptors stop.
    await page.getByRole('button', { name: 'Back to my print jobs' }).click();
    await until(async () => (cash().insertCoin(100).accepted ? undefined : true), 5_000);
  });

  it('does not list coins as taken while the coin acceptor is jammed, and takes them again once it is cleared', async () => {
    const patron = '21000010';
    const page = await station(patron, '1010');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByRole('button', { name: '10.00 EUR' }).click();
    const taken = page.locator('#topup-accepting');
    await expect
      .poll(() => taken.textContent(), { timeout: 10_000 })
      .toBe('Taken now: 0.05 EUR, 0.10 EUR, 0.20 EUR, 0.50 EUR, 1.00 EUR, 2.00 EUR, 5.00 EUR, 10.00 EUR.');
    // Jammed, it hands every coin back: the screen listed the coins all the same.
    cash().coinAcceptor!.setJammed(true);
    expect(cash().insertCoin(200)).toMatchObject({ accepted: false });
    await expect.poll(() => taken.textContent(), { timeout: 10_000 }).toBe('Taken now: 5.00 EUR, 10.00 EUR.');
    expect(cash().insertNote(500)).toMatchObject({ accepted: true });
    await expect.poll(() => page.locator('#topup-paid').textContent(), { timeout: 10_000 }).toBe('5.00 EUR');
    cash().coinAcceptor!.setJammed(false);
    await expect
      .poll(() => taken.textContent(), { timeout: 10_000 })
      .toBe('Taken now: 0.05 EUR, 0.10 EUR, 0.20 EUR, 0.50 EUR, 1.00 EUR, 2.00 EUR, 5.00 EUR.');
    expect(cash().insertCoin(200)).toMatchObject({ accepted: true });
    await expect.poll(() => page.locator('#topup-paid').textContent(), { timeout: 10_000 }).toBe('7.00 EUR');
    await page.getByRole('button', { name: 'Add what I inserted' }).click();
    await page.getByText('7.00 EUR was added to your balance.').waitFor({ timeout: 10_000 });
    expect((await statement(patron)).balanceMinor).toBe(700);
  });

  it('does not send a patron at a station without acceptors to a payment kiosk that only pays fees', async () => {
    const patron = '21000009';
    await waitingJob(patron, 'Recipe', 1);
    const page = await chromium.openPage('/release');
    await logInAtRelease(page, patron, '9999');
    await expect
      .poll(() => page.locator('#release-all-why').textContent(), { timeout: 10_000 })
      .toBe(
        'Your balance of 0.00 EUR does not cover any of your documents. Top up at the print desk, then print.',
      );
    expect(await page.getByRole('button', { name: 'Top up', exact: true }).isVisible()).toBe(false);
  });
});

/**
 * A desk that puts money inserted beyond what is due on the patron's print account
 * (`payments.overpayment: print-account`): a 2.00 EUR coin for a 1.00 EUR top-up is all on the
 * balance, and the station said '1.00 EUR was added to your balance'.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'topping up at the release station, the excess kept',
  () => {
    const chromium = deskInChromium(
      (config) => ({ ...config, payments: { ...config.payments, overpayment: 'print-account' } }),
      {
        ready: async (testDesk) => {
          for (const id of ['coins-1', 'notes-1', 'ils'])
            await waitForDevice(testDesk.api, id, 'online', 15_000);
        },
      },
    );
    const cash = () => chromium.testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;

    it('says all that went on the balance', async () => {
      const page = await chromium.openPage('/release#cash=coins-1,notes-1');
      await logInAtRelease(page, '21000001', '1234');
      await page.getByRole('button', { name: 'Top up', exact: true }).click();
      await page.getByRole('button', { name: '1.00 EUR' }).click();
      await page.getByText('Insert 1.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
      await until(async () =>
        (await page.locator('#topup-accepting').textContent())?.includes('2.00 EUR') ? true : undefined,
      );
      expect(cash().insertCoin(200)).toMatchObject({ accepted: true });
      await expect
        .poll(() => page.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe('2.00 EUR was added to your balance.');
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 10_000 }).toBe('2.00 EUR');
    });
  },
);

/** A desk whose least top-up is more than the station's smallest amount. */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'topping up at the release station, within the desk’s limits',
  () => {
    const chromium = deskInChromium(
      (config) => ({ ...config, payments: { ...config.payments, minTopUpMinor: 200, maxTopUpMinor: 3000 } }),
      {
        ready: (testDesk) => waitForDevice(testDesk.api, 'ils', 'online', 15_000),
        // The amount refused is a 422: the browser logs it as a failed load.
        consoleError: (text) => !/status of 422/.test(text),
      },
    );

    it('says in money what the desk takes when an amount is outside its limits', async () => {
      const page = await chromium.openPage('/release#cash=coins-1,notes-1');
      await logInAtRelease(page, '21000002', '2222');
      await page.getByRole('button', { name: 'Top up', exact: true }).click();
      await page.getByRole('button', { name: '1.00 EUR' }).click();
      // It read 'That amount cannot be topped up here (a top-up is between 2.00 EUR and 30.00 EUR
      // (amountMinor 200 to 3000); 1.00 EUR was asked: nothing was started). Choose another amount.'
      await expect
        .poll(() => page.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe(
          'A top-up here is at least 2.00 EUR and at most 30.00 EUR: choose another amount. Nothing was taken.',
        );
      expect(await page.getByRole('button', { name: '2.00 EUR' }).isEnabled()).toBe(true);
    });
  },
);
