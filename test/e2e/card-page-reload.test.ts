import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';

const skip = chromiumSkipReason();
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');

/**
 * The card page in Debian's Chromium against the simulated desk (its printer's cards have a chip):
 * what is still to do for the cards printed — each one's ILS step and its chip offer — is rebuilt
 * from the desk's issue records when the page is loaded, so a reload, a crashed browser or the next
 * shift's PC still has it; Done on a step, or a chip given up, is kept by the desk, so another PC
 * does not offer it again.
 */
describe.skipIf(skip !== undefined)('the card page across a reload', { timeout: 90_000 }, () => {
  const desk = cardDeskPage();

  /** Prints a card with a new number for the patron; its card number. */
  async function printFor(patron: string): Promise<string> {
    const { page } = desk;
    const issued = async () =>
      /^Card (\d+) issued/.exec((await page.locator('#progress').textContent()) ?? '')?.[1];
    const before = await issued();
    await page.getByLabel('Patron barcode').fill(patron);
    await page.getByLabel('A new number').check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    // Beside the preview, the number it shows: the next free one, said to be not reserved.
    const [, next] =
      /^Card number (\d+) is the next free one\. It is not reserved: /.exec(
        (await page.locator('#next-number').textContent()) ?? '',
      ) ?? [];
    expect(await page.locator('#next-number').isVisible()).toBe(true);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'card-page-next-number.png'), fullPage: true });
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect.poll(async () => ((await issued()) ?? before) !== before, { timeout: 15_000 }).toBe(true);
    expect(await issued()).toBe(next);
    return (await issued())!;
  }

  const steps = (page = desk.page) => page.locator('#ils-todo li span').allTextContents();
  const offers = (page = desk.page) => page.locator('#chip-cards li span').allTextContents();
  const stepOf = (card: string) => `Card ${card}, printed: in the ILS, give its patron this card number.`;
  const offerOf = (card: string) => `Card ${card}, printed: its chip is not encoded yet.`;

  it('still shows each printed card’s ILS step and chip offer after a reload, and what staff settled is gone on another PC too', async () => {
    const { page } = desk;
    await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
    const first = await printFor('21000001');
    const second = await printFor('21000002');
    expect(await steps()).toEqual([stepOf(first), stepOf(second)]);
    expect(await offers()).toEqual([offerOf(first), offerOf(second)]);

    // The browser reloaded (or crashed and opened again): the cards are still on the desk to settle.
    await page.reload();
    await expect.poll(() => steps(), { timeout: 5000 }).toEqual([stepOf(first), stepOf(second)]);
    await expect.poll(() => offers(), { timeout: 5000 }).toEqual([offerOf(first), offerOf(second)]);
    expect(await page.locator('#ils-todo').isVisible()).toBe(true);
    expect(await page.locator('#chip').isVisible()).toBe(true);
    // Named by card number only: neither patron's barcode nor name.
    const shown = `${await page.locator('#ils-todo').textContent()} ${await page.locator('#chip').textContent()}`;
    expect(shown).not.toMatch(/2100000\d|Zoë|Åström|Émile|Côté/);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'card-page-after-reload.png'), fullPage: true });

    // Done in the ILS for the first card; the second card was thrown away, its chip given up.
    await page.getByRole('button', { name: `Done in the ILS for card ${first}` }).click();
    await expect.poll(() => steps(), { timeout: 5000 }).toEqual([stepOf(second)]);
    await page
      .getByRole('button', { name: `Thrown away: card ${second}, its chip not to be encoded` })
      .click();
    await expect.poll(() => offers(), { timeout: 5000 }).toEqual([offerOf(first)]);

    await page.reload();
    await expect.poll(() => offers(), { timeout: 5000 }).toEqual([offerOf(first)]);
    expect(await steps()).toEqual([stepOf(second)]);

    // The next shift's PC: a browser of its own, the same token.
    const other = await desk.browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await other.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
      await expect.poll(() => offers(other), { timeout: 5000 }).toEqual([offerOf(first)]);
      expect(await steps(other)).toEqual([stepOf(second)]);
      await other.screenshot({ path: join(OUTPUT, 'card-page-other-pc.png'), fullPage: true });
    } finally {
      await other.close();
    }
    expect(desk.pageErrors).toEqual([]);
  });
});
