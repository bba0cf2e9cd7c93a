import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

/**
 * The desk report in a narrow window — a coordinator's phone, held upright: every chart and table
 * is read there without scrolling the whole page sideways.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the desk report in a narrow window, in Chromium', () => {
  const chromium = deskInChromium((config) => config);

  for (const width of [360, 390])
    it(`fits every card to a window ${width} px wide, a wide heatmap scrolled within its own box`, async () => {
      const page = await chromium.openPage('/reports', { viewport: { width, height: 900 } });
      await page.locator('body[data-state="ready"]').waitFor({ timeout: 20_000 });
      // The page itself does not scroll sideways: nothing sticks out past the window's right edge.
      const overflow = await page.locator('body').evaluate((body) => {
        const view = body.ownerDocument.documentElement.clientWidth;
        return [...body.querySelectorAll('.card, .card h2, .card canvas, .card details, .heatmaps figure')]
          .filter((element) => element.getBoundingClientRect().right > view + 0.5)
          .map((element) => `${element.tagName.toLowerCase()} ${element.textContent?.trim().slice(0, 30)}`);
      });
      expect(overflow).toEqual([]);
      const root = await page
        .locator('html')
        .evaluate((html) => ({ scrolled: html.scrollWidth, shown: html.clientWidth }));
      expect(root.scrolled).toBeLessThanOrEqual(root.shown);
    });
});
