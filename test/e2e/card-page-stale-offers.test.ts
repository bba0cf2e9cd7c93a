import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';

const skip = chromiumSkipReason();
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');

/**
 * Two staff PCs of the desk with the card page open in Debian's Chromium, the simulated desk's
 * printer's cards having a chip: what one PC settles of a card (its chip encoded, its chip given up)
 * the other's page learns only when it presses on its own, now stale, offer. The refusal's words are
 * shown and that offer goes, as a reload would show — not left to be pressed and refused again.
 */
describe.skipIf(skip !== undefined)('the card page’s stale chip offers', { timeout: 90_000 }, () => {
  const desk = cardDeskPage();

  /** Prints a card with a new number for the patron on `page`; its card number. */
  async function printFor(page: Page, patron: string): Promise<string> {
    const issued = async () =>
      /^Card (\d+) issued/.exec((await page.locator('#progress').textContent()) ?? '')?.[1];
    const before = await issued();
    await page.getByLabel('Patron barcode').fill(patron);
    await page.getByLabel('A new number').check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    await page.getByRole('button', { name: 'Print card' }).click();
    await expect.poll(async () => ((await issued()) ?? before) !== before, { timeout: 15_000 }).toBe(true);
    return (await issued())!;
  }

  /** Takes every chip off the card pad and lays one new card's there, once the desk reads it. */
  async function layCardOnPad(): Promise<void> {
    const pad = desk.testDesk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    for (const tag of pad.tags()) pad.remove(String(tag.uid));
    const uid = String(pad.place({ preset: 'blank' }).uid);
    await expect
      .poll(
        async () => {
          const response = await fetch(`${desk.testDesk.api}/api/v1/rfid/card-pad/tags`, {
            headers: { authorization: `Bearer ${STAFF}` },
          });
          return ((await response.json()) as { tags: Array<{ uid: string }> }).tags.map((tag) => tag.uid);
        },
        { timeout: 5000 },
      )
      .toEqual([uid]);
  }

  const offers = (page: Page) => page.locator('#chip-cards li span').allTextContents();
  const offerOf = (card: string) => `Card ${card}, printed: its chip is not encoded yet.`;
  const problem = (page: Page) => page.locator('#problem').textContent();

  it('shows the refusal and drops the offer another PC settled, for Thrown away and for Encode chip', async () => {
    const pcA = desk.page;
    await pcA.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => pcA.locator('#printer').textContent()).toBe('cards-1: online');
    const first = await printFor(pcA, '21000001');
    const second = await printFor(pcA, '21000002');

    const pcB = await desk.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pcBErrors: string[] = [];
    pcB.on('pageerror', (error) => pcBErrors.push(error.message));
    try {
      await pcB.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
      await expect.poll(() => offers(pcB), { timeout: 5000 }).toEqual([offerOf(first), offerOf(second)]);

      // PC A encodes the first card's chip; PC B, not knowing, presses Thrown away on its offer.
      await layCardOnPad();
      await pcA.getByRole('button', { name: `Encode chip of card ${first}`, exact: true }).click();
      await expect
        .poll(() => pcA.locator('#progress').textContent(), { timeout: 5000 })
        .toBe(`Chip of card ${first} encoded and read back: the card is ready.`);
      await pcB
        .getByRole('button', { name: `Thrown away: card ${first}, its chip not to be encoded` })
        .click();
      await expect
        .poll(() => problem(pcB), { timeout: 5000 })
        .toBe(
          'The card’s chip is encoded already: its chip is encoded already, so it was not given up: the card works as it is — if it is spoilt or lost, print a new card (Reprint, which replaces it) and block this one in the ILS',
        );
      expect(await pcB.locator('#problem').isVisible()).toBe(true);
      expect(await offers(pcB)).toEqual([offerOf(second)]);

      // PC A throws the second card away; PC B presses Encode chip on its offer.
      await pcA
        .getByRole('button', { name: `Thrown away: card ${second}, its chip not to be encoded` })
        .click();
      await expect.poll(() => offers(pcA), { timeout: 5000 }).toEqual([]);
      await layCardOnPad();
      await pcB.getByRole('button', { name: `Encode chip of card ${second}`, exact: true }).click();
      await expect
        .poll(() => problem(pcB), { timeout: 5000 })
        .toMatch(
          /^The card’s chip was given up: its chip was given up at \S+ \(the card thrown away\), so nothing was written: /,
        );
      expect(await offers(pcB)).toEqual([]);
      expect(await pcB.locator('#chip').isHidden()).toBe(true);
      expect(await pcB.locator('#problem').isVisible()).toBe(true);
      mkdirSync(OUTPUT, { recursive: true });
      await pcB.screenshot({ path: join(OUTPUT, 'card-page-stale-offer-refused.png'), fullPage: true });

      // What PC B shows now is what a reload shows.
      await pcB.reload();
      await expect.poll(() => pcB.locator('#printer').textContent()).toBe('cards-1: online');
      expect(await offers(pcB)).toEqual([]);
    } finally {
      await pcB.close();
    }
    expect(pcBErrors).toEqual([]);
    expect(desk.pageErrors).toEqual([]);
  });
});
