import { describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { MagicardModel } from '../../simulators/card-printer/magicard-model.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPageBehindProxy } from '../helpers/card-desk-behind-proxy.js';
import { CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();

/**
 * The card page in Debian's Chromium, its printer a simulated Magicard behind a link that is cut once
 * the card's job has reached the printer and stays down: nobody can tell whether the card was made,
 * so the page does not tell staff to print again — a second card would be a second working card for
 * the patron — but to look in the printer's output hopper once it is back.
 */
describe.skipIf(skip !== undefined)(
  'the card page, a Magicard cut off after the card was sent',
  { timeout: 90_000 },
  () => {
    const { desk, proxy } = cardDeskPageBehindProxy({ make: 'magicard', printTimeoutMs: 3000 });

    it('asks staff to look in the output hopper, and prints again only once they say the card is not there', async () => {
      const { page } = desk;
      const printer = desk.testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
      const model = printer.model as MagicardModel;
      const progress = () => page.locator('#progress').textContent();
      await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
      await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
      await page.getByLabel('Patron barcode').fill('21000001');
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(progress, { timeout: 10_000 }).toBe('Preview ready.');

      model.feeder = 0;
      await page.getByRole('button', { name: 'Print card' }).click();
      await until(
        () => (model.held.length > 0 ? true : undefined),
        15_000,
        'the job never reached the printer',
      );
      proxy().stall();
      proxy().cut();
      // The printer carries on without the link: the card comes out.
      model.feeder = 50;
      model.run();
      expect(printer.cards().map((card) => card.outcome)).toEqual(['printed']);
      await expect
        .poll(progress, { timeout: 20_000 })
        .toBe(
          'The card was not issued: the connection to the printer was lost after the card was sent to it, and Carrel could not ask the printer whether it made the card. Do not print it again yet: once the printer is connected again, look in its output hopper. If the card is there, it is the patron’s card; print again only if it is not.',
        );
      proxy().resume();
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 20_000 })
        .toBe('cards-1: online');

      // Print card pressed anyway: refused, nothing printed, and the way on is to say it is not there.
      await page.getByRole('button', { name: 'Print card' }).click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
        .toMatch(/The patron’s last card may have been printed.*output hopper/s);
      expect(printer.cards()).toHaveLength(1);
      await page.getByRole('button', { name: 'Not in the output hopper: print it' }).click();
      await expect.poll(progress, { timeout: 15_000 }).toMatch(/^Card 21000001 issued/);
      expect(printer.cards()).toHaveLength(2);
      expect(await page.getByRole('button', { name: 'Not in the output hopper: print it' }).isVisible()).toBe(
        false,
      );
    });
  },
);
