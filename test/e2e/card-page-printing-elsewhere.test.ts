import { describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, previewCardFor, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';
import { cardIssuesUnfinished } from '../helpers/card-issues-unfinished.js';
import { withSecondCardPrinter } from '../helpers/card-printer-desk.js';
import { waitForDevice } from '../helpers/desk.js';

const skip = chromiumSkipReason();

/**
 * The card page, in Debian's Chromium, at the front desk's printer while the patron's card was
 * printed at the back office's and is not on record yet: staff are told at which printer — by what
 * the desk calls it, not its id, never the patron — and what to do, and nothing is printed here.
 */
describe.skipIf(skip !== undefined)(
  'the card page, a card printing for the patron at another printer',
  () => {
    const desk = cardDeskPage((config) => withSecondCardPrinter(config), {
      ready: async (testDesk, token) => {
        for (const device of ['cards-1', 'cards-2'])
          await waitForDevice(testDesk.api, device, 'online', 15_000, token);
      },
    });
    const sim = () => desk.testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

    it('says which printer the card is at and to give the patron that card, and prints nothing', async () => {
      const { page } = desk;
      const problem = () => page.locator('#problem').textContent();
      await previewCardFor(page, `${desk.testDesk.api}/cards#token=${STAFF}`, '21000002');
      const before = sim().cards().length;
      await cardIssuesUnfinished(desk.testDesk.databasePath, async () => {
        const back = await callApi(
          `${desk.testDesk.api}/api/v1`,
          'POST',
          '/cards',
          { printer: 'cards-2', patron: '21000002', number: 'patron' },
          { token: STAFF },
        );
        expect(back.json.code).toBe('card_outcome_unrecorded');
        await page.getByRole('button', { name: 'Print card' }).click();
        await expect
          .poll(problem, { timeout: 10_000 })
          .toBe(
            'A card for this patron is printing at another printer: a card for this patron is being printed at the card printer “Back office card printer”, or was printed there and is not on record yet, so nothing was printed: give the patron the card from that printer once it is out; if they need another (it is lost or spoilt), wait for that card’s issue to end, then print a replacement naming it (Reprint)',
          );
      });
      expect(sim().cards()).toHaveLength(before);
      expect(await problem()).not.toContain('21000002');
      expect(desk.pageErrors).toEqual([]);
    }, 60_000);
  },
);
