import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

/**
 * The staff pages as a screen reader reads them (the accessibility tree Chromium builds): each
 * button says what it acts on, so that "Reconnect" on the dashboard or "CSV" on the report is
 * not one of many alike. Found by role and name as a screen reader's list of buttons finds them.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('staff pages name what each button acts on', () => {
  const chromium = deskInChromium((config) => config, {
    ready: async (testDesk) => {
      await waitForDevice(testDesk.api, 'receipt-1', 'online', 15_000);
      await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
    },
  });

  /** Each name is found once, and once only, among the page's buttons. */
  async function eachFoundOnce(page: Page, names: string[]) {
    for (const name of names)
      expect({ name, count: await page.getByRole('button', { name, exact: true }).count() }).toEqual({
        name,
        count: 1,
      });
  }

  it('on the dashboard, each device’s Reconnect and its family’s action name the device', async () => {
    const page = await chromium.openPage('/dashboard', { viewport: { width: 1280, height: 1000 } });
    await expect.poll(() => page.locator('#link').textContent(), { timeout: 10_000 }).toBe('Live');
    const cards = page.locator('li.device');
    await expect.poll(() => cards.locator('.actions button').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const ids = await cards.evaluateAll((items) =>
      items.map((item) => item.getAttribute('data-device') ?? ''),
    );
    expect(ids).toContain('receipt-1');
    await eachFoundOnce(page, [
      ...ids.map((id) => `Reconnect ${id}`),
      'Test page receipt-1',
      'Read counter exit-1',
    ]);
    // The words on the button stay short, and the name begins with them (what a voice user says).
    expect(await page.getByRole('button', { name: 'Reconnect receipt-1' }).textContent()).toBe('Reconnect');
  });

  it('on the report, each chart’s CSV names its chart', async () => {
    const page = await chromium.openPage('/reports');
    const titles = page.locator('#charts section.card h2');
    await expect.poll(() => titles.count(), { timeout: 15_000 }).toBeGreaterThan(10);
    const names = (await titles.allTextContents()).map((title) => `CSV: ${title}`);
    await eachFoundOnce(page, names);
    expect(await page.getByRole('button', { name: names[0] }).textContent()).toBe('CSV');
  });
});
