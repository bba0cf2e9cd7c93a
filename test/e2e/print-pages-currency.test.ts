import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const PATRON = '21000002';

/**
 * The print pages on a desk whose print accounts are kept in yen (no minor digits): staff type
 * amounts and read balances in yen, and the release station shows what a job costs in yen.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the print pages on a yen desk, in Chromium', () => {
  const chromium = deskInChromium(
    (config) => ({
      ...config,
      printAccounts: { ...config.printAccounts, currency: 'JPY' },
      devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
    }),
    { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
  );

  it('tops up 500 yen typed at the print desk as 500 yen, and the station prices a job in yen', async () => {
    const { api } = chromium.testDesk;
    const desk = await chromium.openPage('/print-staff');
    await desk.locator('#patron').fill(PATRON);
    await desk.getByRole('button', { name: 'Find' }).click();
    await desk.locator('#account').waitFor({ state: 'visible' });
    await desk.locator('#amount').fill('500');
    await desk.getByRole('button', { name: 'Top up (cash)' }).click();
    await expect.poll(() => desk.locator('#alert').textContent()).toMatch(/Topped up/);
    const { json } = await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON });
    // 500 yen in, not 50,000 (the page multiplied every amount by 100).
    expect(json.statement.balanceMinor).toBe(500);
    expect(await desk.locator('#balance').textContent()).toMatch(/^¥\s?500$/);

    const server = chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const jobId = await server.submit({ user: PATRON, title: 'Ticket', pages: 2 });
    const station = await chromium.openPage('/release');
    await station.locator('#card').fill(PATRON);
    await station.locator('#pin').fill('2222');
    await station.getByRole('button', { name: 'Show my print jobs' }).click();
    const row = station.locator(`[data-job="public-bw/${jobId}"]`);
    // The job is counted (pdf.js in a worker) before the station lists it: allow for a busy machine.
    await row.waitFor({ timeout: 30_000 });
    // Two pages at 10 yen each: ¥20 (it showed ¥0, the price read as hundredths of a yen).
    await expect.poll(() => row.locator('.cost').textContent(), { timeout: 15_000 }).toMatch(/^¥\s?20$/);
    expect(await station.locator('#balance').textContent()).toMatch(/^¥\s?500$/);
  }, 60_000);
});
