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
  /** The bar's padding, top and left, in px. */
  barPadding: [number, number];
  /** The page's root font size in px, the rem the shared bar's padding (0.5rem 1rem) is measured in. */
  rem: number;
}

/**
 * The staff desk pages look alike where they share a piece: the print desk's and the card page's
 * bar, font and colours come from the same stylesheet (/common/page.css) as the device
 * dashboard's and the gate page's, loaded before their own; the bar's padding is the shared
 * sheet's on each page's type.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the desk pages on their shared base',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage((config) => config);

    async function lookOf(path: string): Promise<SharedLook> {
      await desk.page.goto(`${desk.testDesk.api}${path}`);
      await desk.page.locator('header.bar').waitFor();
      const bar = await desk.page.locator('header.bar').evaluate((element) => {
        const style = element.ownerDocument.defaultView!.getComputedStyle(element);
        return {
          look: { background: style.backgroundColor, color: style.color, display: style.display },
          padding: [Number.parseFloat(style.paddingTop), Number.parseFloat(style.paddingLeft)] as [
            number,
            number,
          ],
        };
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
          rem: Number.parseFloat(style(element).fontSize),
        };
      });
      return { ...page, bar: bar.look, barPadding: bar.padding };
    }

    it.each([
      ['the print desk', '/print-staff', '/print-staff/staff.css'],
      ['the card page', '/cards', '/cards/cards.css'],
    ])(
      '%s loads /common/page.css before its own sheet and draws its bar, font and colours as the dashboard and the gate page do',
      async (_name, path, own) => {
        const dashboard = await lookOf('/dashboard');
        const gates = await lookOf('/gates');
        const look = await lookOf(path);
        expect(dashboard.sheets).toContain('/common/page.css');
        expect(look.sheets).toContain('/common/page.css');
        // Before its own stylesheet, which may add to what is shared.
        expect(look.sheets.indexOf('/common/page.css')).toBeLessThan(look.sheets.indexOf(own));
        // The shared bar's padding (0.5rem 1rem) on the shared type (15px), as the dashboard's; the
        // gate page, read from across the room, sets its type larger and its bar grows with it.
        for (const page of [dashboard, look]) {
          expect(page.rem).toBe(15);
          expect(page.barPadding).toEqual([7.5, 15]);
        }
        expect(gates.barPadding).toEqual([gates.rem * 0.5, gates.rem]);
        for (const other of [dashboard, gates]) {
          expect(look.bar).toEqual(other.bar);
          expect(look.font).toBe(other.font);
          expect(look.ink).toBe(other.ink);
          expect(look.page).toBe(other.page);
        }
      },
    );

    it('the card page draws a refusal in the shared colour of what went wrong', async () => {
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
