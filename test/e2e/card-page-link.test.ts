import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { restartableStaffDeskInChromium } from '../helpers/restartable-staff-desk.js';

const OLD_TOKEN = 'card-desk-token-before';
const NEW_TOKEN = 'card-desk-token-after';

/**
 * The card page in Chromium while the Carrel under it is restarted, then restarted by IT with the
 * desk's staff token changed. Staff read the printer's line before they press Print: while Carrel is
 * away it must not go on saying the printer is online, and once the page's token is no longer taken
 * the page must say to open it again with its current link, not "send a valid bearer token".
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the card page when Carrel restarts or stops taking its token',
  { timeout: 120_000 },
  () => {
    const staff = restartableStaffDeskInChromium({
      folderPrefix: 'carrel-card-page-link-',
      tokenName: 'card-desk',
      token: OLD_TOKEN,
      devices: ['ils', 'receipt-1', 'cards-1', 'card-pad'],
      simulators: ['ils-sim', 'printer-sim', 'card-printer-sim', 'card-pad-sim'],
      waitFor: 'cards-1',
    });
    const { pageErrors } = staff;
    let page: Page;

    const printerLine = () =>
      page
        .getByRole('status')
        .filter({ hasText: /cards-1|Carrel/ })
        .first();

    it('says it is not connected while Carrel is away, the printer’s state once back, and to open the page again when its token is no longer taken', async () => {
      page = await staff.openPage(`/cards#token=${OLD_TOKEN}`);
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toBe('cards-1: online');

      // Carrel stops (a restart): the printer's line no longer says "online".
      await staff.desk().stop();
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toMatch(/^Not connected to Carrel — trying again/);
      expect(await printerLine().isVisible()).toBe(true);

      // Back: the printer as it is now.
      await staff.desk().start();
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 30_000 })
        .toBe('cards-1: online');

      // IT changes the desk's token and restarts Carrel.
      await staff.desk().stop();
      staff.desk().changeToken(NEW_TOKEN);
      await staff.desk().start();
      const signInAgain =
        /no longer takes this page’s access token.*open the card page again with its current link/;
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 30_000 })
        .toMatch(signInAgain);
      expect(await page.locator('#printer').textContent()).not.toBe('cards-1: online');
      // A press says the same, not the API's words to developers.
      await page.getByLabel('Patron barcode').fill('21000001');
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
        .toMatch(signInAgain);
      expect(await page.locator('#problem').textContent()).not.toContain('bearer');
      expect(pageErrors).toEqual([]);
    });
  },
);
