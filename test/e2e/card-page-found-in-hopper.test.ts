import { describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPageBehindProxy, cutAtEvolisEject } from '../helpers/card-desk-behind-proxy.js';
import { CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';

const skip = chromiumSkipReason();

/**
 * The card page in Debian's Chromium, its Evolis behind a link cut as the card's eject reaches the
 * printer and left down until too late to ask: the card came out, but nobody could tell. Staff look
 * in the output hopper, find it there and press "Found in the output hopper": the card is the
 * patron's, issued, its chip offered — straight after the print, or after the page was opened again
 * and Print card refused the patron's next card.
 */
describe.skipIf(skip !== undefined)(
  'the card page, a card whose outcome was unknown found in the output hopper',
  { timeout: 90_000 },
  () => {
    const { desk, proxy } = cardDeskPageBehindProxy({ make: 'evolis', printTimeoutMs: 1000 });

    const sim = () => desk.testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
    /** The link cut as the next eject reaches the printer, after the printer ejected the card. */
    const cutAtEject = () => cutAtEvolisEject(sim().model as EvolisModel, proxy());

    async function previewFor(patron: string) {
      const { page } = desk;
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 20_000 })
        .toBe('cards-1: online');
      await page.getByLabel('Patron barcode').fill(patron);
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Preview ready.');
    }

    it('records the card found there as the patron’s, and offers its chip', async () => {
      const { page } = desk;
      const progress = () => page.locator('#progress').textContent();
      const found = page.getByRole('button', { name: 'Found in the output hopper' });
      await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
      await previewFor('21000001');
      void cutAtEject();
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect.poll(progress, { timeout: 20_000 }).toMatch(/^The card was not issued: .*output hopper/);
      expect(
        sim()
          .cards()
          .map((card) => card.outcome),
      ).toEqual(['printed']);
      await expect.poll(() => found.isVisible()).toBe(true);
      proxy().resume();
      await found.click();
      await expect
        .poll(progress, { timeout: 10_000 })
        .toBe('Card 21000001 found in the output hopper: it is the patron’s card, issued.');
      await expect
        .poll(() => page.getByRole('button', { name: 'Encode chip of card 21000001' }).isVisible())
        .toBe(true);
      expect(await found.isVisible()).toBe(false);
      expect(await page.locator('#problem').isVisible()).toBe(false);
      // The card's line says who found it there (the staff token's name), as the desk keeps it.
      const foundBy = (card: string) =>
        new RegExp(
          `^Card ${card}, found in the output hopper by desk-staff at .+: its chip is not encoded yet\\.$`,
        );
      const offers = () => page.locator('#chip-cards li span').allTextContents();
      expect(await offers()).toEqual([expect.stringMatching(foundBy('21000001'))]);

      // Another patron's card, its outcome unknown; the page opened again, Print card is refused
      // for them: the card found in the hopper is recorded from there too, nothing printed.
      await previewFor('21000002');
      void cutAtEject();
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect.poll(progress, { timeout: 20_000 }).toMatch(/^The card was not issued: .*output hopper/);
      proxy().resume();
      await page.goto(`${desk.testDesk.api}/cards`);
      // Loaded again, the line is rebuilt from the desk's record: who found the card stays on it.
      await expect.poll(offers, { timeout: 10_000 }).toEqual([expect.stringMatching(foundBy('21000001'))]);
      await previewFor('21000002');
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
        .toMatch(/The patron’s last card may have been printed/);
      await expect.poll(() => found.isVisible(), { timeout: 10_000 }).toBe(true);
      expect(sim().cards()).toHaveLength(2);
      await found.click();
      await expect
        .poll(progress, { timeout: 10_000 })
        .toBe('Card 21000002 found in the output hopper: it is the patron’s card, issued.');
      expect(await page.getByRole('button', { name: 'Not in the output hopper: print it' }).isVisible()).toBe(
        false,
      );
      expect(sim().cards()).toHaveLength(2);
    });
  },
);
