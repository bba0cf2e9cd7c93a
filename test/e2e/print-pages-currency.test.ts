import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const PATRON = '21000002';

/**
 * The print pages on a desk whose print accounts are kept in a currency without two decimals:
 * staff type amounts and read balances in it, and the release station shows what a job costs in
 * it, written as every other page writes money ("500 JPY", "1.250 KWD": the amount with the
 * currency's own decimals, then its code).
 */
describe.skipIf(chromiumSkipReason() !== undefined).each([
  // Yen have no minor digits: 500 typed is 500 yen; two pages at 10 yen each cost 20 yen.
  { currency: 'JPY', typed: '500', toppedUpMinor: 500, balance: '500 JPY', cost: '20 JPY' },
  // Kuwaiti dinars have three: 1.250 typed is 1250 fils; two pages at 10 fils each cost 0.020 KWD.
  { currency: 'KWD', typed: '1.250', toppedUpMinor: 1250, balance: '1.250 KWD', cost: '0.020 KWD' },
])(
  'the print pages on a $currency desk, in Chromium',
  ({ currency, typed, toppedUpMinor, balance, cost }) => {
    const chromium = deskInChromium(
      (config) => ({
        ...config,
        printAccounts: { ...config.printAccounts, currency },
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
    );

    it(`tops up ${typed} typed at the print desk as ${balance}, and the station prices a job in ${currency}`, async () => {
      const { api } = chromium.testDesk;
      const desk = await chromium.openPage('/print-staff');
      await desk.locator('#patron').fill(PATRON);
      await desk.getByRole('button', { name: 'Find' }).click();
      await desk.locator('#account').waitFor({ state: 'visible' });
      await desk.locator('#amount').fill(typed);
      await desk.getByRole('button', { name: 'Top up (cash)' }).click();
      await expect
        .poll(() => desk.locator('#alert').textContent())
        .toBe(`Topped up: the balance is ${balance}.`);
      const { json } = await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON });
      // 500 yen in, not 50,000 (the page multiplied every amount by 100).
      expect(json.statement.balanceMinor).toBe(toppedUpMinor);
      // It read '¥500' and 'KWD 1.250' here, and '500 JPY' on the dashboard, the kiosk and the reports.
      // The page reads the account again after saying the new balance: the figure follows.
      await expect.poll(() => desk.locator('#balance').textContent()).toBe(balance);

      const server = chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
      const jobId = await server.submit({ user: PATRON, title: 'Ticket', pages: 2 });
      const station = await chromium.openPage('/release');
      await station.locator('#card').fill(PATRON);
      await station.locator('#pin').fill('2222');
      await station.getByRole('button', { name: 'Show my print jobs' }).click();
      const row = station.locator(`[data-job="public-bw/${jobId}"]`);
      // The job is counted (pdf.js in a worker) before the station lists it: allow for a busy machine.
      await row.waitFor({ timeout: 30_000 });
      // Two pages at 10 minor units each (it showed ¥0 on a yen desk, the price read as hundredths of a yen).
      await expect.poll(() => row.locator('.cost').textContent(), { timeout: 15_000 }).toBe(cost);
      expect(await station.locator('#balance').textContent()).toBe(balance);
      server.model.cancel(jobId);
    }, 60_000);
  },
);
