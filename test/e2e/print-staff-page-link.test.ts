import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { restartableStaffDeskInChromium } from '../helpers/restartable-staff-desk.js';

const OLD_TOKEN = 'print-desk-token-before';
const NEW_TOKEN = 'print-desk-token-after';

/**
 * The print desk page in Chromium while the Carrel under it is restarted (systemd, an update), and
 * then restarted by IT with the desk's staff token changed: staff must see in words that the page is
 * not live while Carrel is away, the account as it is now once it is back (not as it was), and —
 * with its token no longer taken — that they must open the page again with its current link, not a
 * page that keeps showing an old balance and answers each press with "send a valid bearer token".
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the print desk page when Carrel restarts or stops taking its token',
  { timeout: 120_000 },
  () => {
    const staff = restartableStaffDeskInChromium({
      folderPrefix: 'carrel-print-staff-link-',
      tokenName: 'print-desk',
      token: OLD_TOKEN,
      devices: ['ils', 'receipt-1', 'public-bw'],
      simulators: ['ils-sim', 'printer-sim', 'print-server'],
      waitFor: 'ils',
    });
    const { pageErrors } = staff;
    let page: Page;

    const topUp = async (token: string, amountMinor: number) => {
      const response = await fetch(`${staff.desk().daemon.api}/api/v1/print/accounts/deposit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          requestId: randomUUID(),
          patron: '21000001',
          amountMinor,
          currency: 'EUR',
          source: 'cash-desk',
        }),
      });
      expect(response.status).toBeLessThan(300);
    };
    /** What the page says of its link to Carrel, and what it says of the last press. */
    const link = () => page.locator('#link');
    const alert = () => page.locator('#alert');

    it('says it is reconnecting while Carrel is away, shows the account as it is now once back, and asks to open the page again when its token is no longer taken', async () => {
      page = await staff.openPage(`/print-staff#token=${OLD_TOKEN}`);
      await page.getByLabel('Library card').fill('21000001');
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 10_000 }).toBe('0.00 EUR');

      // Carrel stops (a restart): the page says so, in words, rather than showing the account as live.
      await staff.desk().stop();
      await expect
        .poll(async () => ((await link().isVisible()) ? await link().textContent() : ''), {
          timeout: 15_000,
        })
        .toMatch(/Not connected to Carrel.*trying again/);

      // Back (the same token): the words go, and the balance is as it is now — topped up elsewhere meanwhile.
      await staff.desk().start();
      await topUp(OLD_TOKEN, 300);
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 30_000 }).toBe('3.00 EUR');
      await expect.poll(() => link().isVisible(), { timeout: 10_000 }).toBe(false);

      // IT changes the desk's token and restarts Carrel: the page's token is no longer taken.
      await staff.desk().stop();
      staff.desk().changeToken(NEW_TOKEN);
      await staff.desk().start();
      await topUp(NEW_TOKEN, 200);
      const signInAgain =
        /no longer takes this page’s access token.*open the print desk again with its current link/;
      await expect.poll(() => link().textContent(), { timeout: 30_000 }).toMatch(signInAgain);
      // The account it can no longer read is not shown as if it were current.
      expect(await page.locator('#account').isVisible()).toBe(false);
      // A press says the same, not the API's words to developers.
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => alert().textContent(), { timeout: 10_000 }).toMatch(signInAgain);
      expect(await alert().textContent()).not.toContain('bearer');
      expect(pageErrors).toEqual([]);
    });
  },
);
