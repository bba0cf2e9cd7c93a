import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';

/** What the desk pages share (/common/page.css: the palette, the font, the bar), read in Chromium. */
interface SharedLook {
  sheets: string[];
  font: string;
  page: string;
  ink: string;
  bar: { background: string; color: string; display: string };
}

/**
 * The card page looks like the other desk pages where they share a piece: its bar, its font and its
 * colours come from the same stylesheet as the device dashboard's, the gate page's and the print
 * desk's.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the card page on the desk pages’ shared base',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage((config) => config);

    async function lookOf(path: string): Promise<SharedLook> {
      await desk.page.goto(`${desk.testDesk.api}${path}`);
      await desk.page.locator('header.bar').waitFor();
      const bar = await desk.page.locator('header.bar').evaluate((element) => {
        const style = element.ownerDocument.defaultView!.getComputedStyle(element);
        return { background: style.backgroundColor, color: style.color, display: style.display };
      });
      const page = await desk.page.locator('html').evaluate((element) => {
        const document = element.ownerDocument;
        const style = (of: typeof element) => document.defaultView!.getComputedStyle(of);
        return {
          sheets: [...document.styleSheets].map(
            (sheet) => new URL(sheet.href ?? '', document.location.href).pathname,
          ),
          font: style(document.body).fontFamily,
          page: style(element).backgroundColor,
          ink: style(document.body).color,
        };
      });
      return { ...page, bar };
    }

    it('loads /common/page.css and draws its bar, font and colours as the dashboard, the gate page and the print desk do', async () => {
      const dashboard = await lookOf('/dashboard');
      const gates = await lookOf('/gates');
      const printDesk = await lookOf('/print-staff');
      const cards = await lookOf('/cards');
      expect(cards.sheets).toContain('/common/page.css');
      // Before its own stylesheet, which may add to what is shared.
      expect(cards.sheets.indexOf('/common/page.css')).toBeLessThan(cards.sheets.indexOf('/cards/cards.css'));
      for (const other of [dashboard, gates, printDesk]) {
        expect(cards.bar).toEqual(other.bar);
        expect(cards.font).toBe(other.font);
        expect(cards.ink).toBe(other.ink);
        expect(cards.page).toBe(other.page);
      }
    });

    it('draws a refusal in the shared colour of what went wrong', async () => {
      await desk.page.goto(`${desk.testDesk.api}/cards`);
      await desk.page.locator('#patron').fill('29999999');
      await desk.page.locator('#preview-button').click();
      const problem = desk.page.locator('#problem');
      await problem.waitFor();
      const colours = await problem.evaluate((element) => {
        const view = element.ownerDocument.defaultView!;
        return {
          problem: view.getComputedStyle(element).color,
          bad: view.getComputedStyle(element.ownerDocument.documentElement).getPropertyValue('--bad').trim(),
        };
      });
      expect(colours.bad).toBe('#a4231c');
      expect(colours.problem).toBe('rgb(164, 35, 28)');
    });
  },
);
