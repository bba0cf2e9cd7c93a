import { describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { FAULT_REPLIES } from '../../src/protocols/evolis/index.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';

const skip = chromiumSkipReason();

/**
 * What the card page says of the printer, in Debian's Chromium against the simulated desk's Evolis:
 * a card the printer refused for a command or a setting it did not accept (the guide's NACK 1 and
 * 2) is said in words staff can act on, never as Carrel's code for it; and a printer that asks to
 * be cleaned, printing on, says so on the page's printer line, not only on IT's metrics.
 */
describe.skipIf(skip !== undefined)('the card page’s words for the printer', { timeout: 60_000 }, () => {
  const desk = cardDeskPage();
  const sim = () => desk.testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
  const printerLine = () => desk.page.locator('#printer').textContent();
  const progress = () => desk.page.locator('#progress').textContent();

  async function previewFor(patron: string): Promise<void> {
    const { page } = desk;
    await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(printerLine, { timeout: 15_000 }).toBe('cards-1: online');
    await page.getByLabel('Patron barcode').fill(patron);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(progress, { timeout: 10_000 }).toBe('Preview ready.');
  }

  it.each([
    [
      'a command',
      FAULT_REPLIES.bad_command,
      'bad_command',
      'the printer did not take a command Carrel sent it (its firmware may not know it), so no card was made. Nothing at the printer needs putting right: print again, and if it happens again, tell IT that the printer refuses Carrel’s commands.',
    ],
    [
      'a setting',
      FAULT_REPLIES.bad_parameter,
      'bad_parameter',
      'the printer did not take a setting Carrel sent with the card, so no card was made: the ribbon in it may not be the kind Carrel is set up for. Check the ribbon is the one meant for this printer, then print again; if it happens again, tell IT that the printer refuses Carrel’s settings.',
    ],
  ])(
    'says in words, not a code, why a card was not made when the printer refused %s',
    async (_what, reply, code, words) => {
      await previewFor('21000003');
      // The printer refuses the card's first step (the sequence's start) with the guide's NACK text.
      const model = sim().model as EvolisModel;
      const handle = model.handle.bind(model);
      model.handle = (command) => (command.name === 'Ss' ? reply : handle(command));
      try {
        const before = sim().cards().length;
        await desk.page.getByRole('button', { name: 'Print card' }).click();
        await expect.poll(progress, { timeout: 15_000 }).toBe(`The card was not issued: ${words}`);
        expect(await progress()).not.toContain(code);
        expect(sim().cards()).toHaveLength(before);
      } finally {
        model.handle = handle;
      }
    },
  );

  it('says on the printer line that the printer asks to be cleaned, while it prints on, and no more once cleaned', async () => {
    await previewFor('21000003');
    const model = sim().model as EvolisModel;
    model.cardsSinceCleaning = model.cleaningInterval;
    try {
      // Staff see it without printing: the page follows the printer's state.
      await expect
        .poll(printerLine, { timeout: 15_000 })
        .toBe(
          'cards-1: online — the printer asks to be cleaned. It still prints, but cards may come out streaked: clean it when the desk is quiet (a cleaning card through it, as its guide says).',
        );
      // A page opened now says it too, from the printer's status.
      await desk.page.reload();
      await expect
        .poll(printerLine, { timeout: 15_000 })
        .toMatch(/^cards-1: online — the printer asks to be cleaned\./);
    } finally {
      model.cardsSinceCleaning = 0;
    }
    await expect.poll(printerLine, { timeout: 15_000 }).toBe('cards-1: online');
  });
});
