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
 * The print desk looks like the other desk pages where they share a piece: its bar, its font and
 * its colours come from the same stylesheet as the device dashboard's and the gate page's.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the print desk on the desk pages’ shared base',
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

    it('loads /common/page.css and draws its bar, font and colours as the dashboard and the gate page do', async () => {
      const dashboard = await lookOf('/dashboard');
      const gates = await lookOf('/gates');
      const printDesk = await lookOf('/print-staff');
      expect(dashboard.sheets).toContain('/common/page.css');
      expect(printDesk.sheets).toContain('/common/page.css');
      // Before its own stylesheet, which may add to what is shared.
      expect(printDesk.sheets.indexOf('/common/page.css')).toBeLessThan(
        printDesk.sheets.indexOf('/print-staff/staff.css'),
      );
      for (const other of [dashboard, gates]) {
        expect(printDesk.bar).toEqual(other.bar);
        expect(printDesk.font).toBe(other.font);
        expect(printDesk.ink).toBe(other.ink);
      }
      expect(printDesk.page).toBe(dashboard.page);
    });
  },
);
