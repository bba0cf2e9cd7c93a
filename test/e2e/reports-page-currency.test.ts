import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { until } from '../helpers/until.js';

const PATRON = '21000002';
const PIN = '2222';

/**
 * The desk report on a desk whose print accounts are kept in yen (no minor digits): a coordinator
 * reads the print income and the payouts in yen, as the print desk took them — not in hundredths.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the desk report on a yen desk, in Chromium', () => {
  const chromium = deskInChromium(
    (config) => ({
      ...config,
      printAccounts: { ...config.printAccounts, currency: 'JPY' },
      simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 5 } : s)),
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
  );

  it('shows ¥500 taken at the desk as 500 yen in the totals, the charts and their tables', async () => {
    const { api } = chromium.testDesk;
    // The day: ¥500 put on a print account at the desk, a two-page job released (¥20 at 10 yen a
    // page), and the ¥480 left paid out when the patron closes the account.
    const deposit = await callApi(api, 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 500,
      currency: 'JPY',
      source: 'cash-desk',
    });
    expect(deposit.status).toBe(201);
    const server = chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const { jobId, session } = await heldAtStation(api, server, PIN, {
      user: PATRON,
      title: 'Ticket',
      pages: 2,
    });
    const released = await releaseAtStation(api, session, jobId);
    expect(released.status).toBe(200);
    // Paid out once the job has printed: a payout is refused while a release may still be refunded.
    const releaseId = released.json.release.id as string;
    await until(async () => {
      const found = await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON });
      const release = (found.json.releases as Array<{ id: string; state: string }>).find(
        (r) => r.id === releaseId,
      );
      return release?.state === 'completed' ? true : undefined;
    }, 15_000);
    const payout = await callApi(api, 'POST', '/api/v1/print/accounts/payout', {
      requestId: randomUUID(),
      patron: PATRON,
    });
    expect(payout.status).toBeLessThan(300);
    expect(payout.json.amountMinor).toBe(-480);

    const page = await chromium.openPage('/reports', { viewport: { width: 1400, height: 1000 } });
    await page.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });

    // The tiles: ¥20 of print income (it said ¥0, 20 read as hundredths of a yen), and the refunds,
    // none, in yen too (they said €0.00 on a desk that never took a euro).
    const tile = (measure: string) => page.locator(`#totals li[data-measure="${measure}"] .value`);
    expect(await tile('print.income').textContent()).toMatch(/^¥\s?20$/);
    expect(await tile('print.refunded').textContent()).toMatch(/^¥\s?0$/);

    // The chart's table: today's income 20 and payouts 480 (it said 0.20 and 4.80).
    const table = page.locator('[data-chart="print-money"] table.numbers');
    const head = (await table.locator('th').allTextContents()).slice(1);
    const today = (await table.locator('tbody tr').last().locator('td').allTextContents()).slice(1);
    const column = (name: string) => today[head.indexOf(name)];
    expect(column('income (JPY)')).toBe('20');
    expect(column('payouts (JPY)')).toBe('480');

    // The chart itself is drawn in yen.
    const drawn = await page.locator('[data-chart="print-money"] canvas').evaluate((canvas) => {
      const chart = (
        globalThis as unknown as {
          Chart: {
            getChart(c: unknown): { data: { datasets: Array<{ label: string; data: number[] }> } };
          };
        }
      ).Chart.getChart(canvas);
      return Object.fromEntries(
        chart.data.datasets.map((set) => [set.label, set.data.reduce((sum, value) => sum + value, 0)]),
      );
    });
    expect(drawn).toEqual({ 'income (JPY)': 20, 'payouts (JPY)': 480 });
  }, 90_000);
});
