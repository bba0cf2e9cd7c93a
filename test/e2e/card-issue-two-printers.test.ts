import { describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { MagicardModel } from '../../simulators/card-printer/magicard-model.js';
import { cardIssuesUnfinished } from '../helpers/card-issues-unfinished.js';
import { cardPrinterDesk, withSecondCardPrinter } from '../helpers/card-printer-desk.js';
import { until } from '../helpers/until.js';

/**
 * One patron at two desks' printers: the desk's Evolis `cards-1` and a Magicard `cards-2` in the back
 * office, both simulated over their real protocols. A card printing for a patron at one printer (or
 * printed there and not on record yet) must not let a second card be printed for them at the other —
 * two working cards for one patron. The Magicard with its feeder empty holds the job: its issue stays
 * printing until a card is put in.
 */
const { desk, call, cards } = cardPrinterDesk({
  change: (config) => {
    const both = withSecondCardPrinter(config, { make: 'magicard' });
    return {
      ...both,
      devices: both.devices.map((device) =>
        device.id === 'cards-2' ? { ...device, printTimeoutMs: 20_000 } : device,
      ) as typeof both.devices,
    };
  },
  alsoOnline: ['cards-2'],
});
const magicard = () =>
  desk().desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim-cards-2')!.model as MagicardModel;

const PRINTING_ELSEWHERE =
  'a card for this patron is being printed at the card printer “Back office card printer”, or was printed there and is not on record yet, so nothing was printed: give the patron the card from that printer once it is out; if they need another (it is lost or spoilt), wait for that card’s issue to end, then print a replacement naming it (Reprint)';

describe('one patron, two card printers', () => {
  it('refuses a second card for a patron while one is printing at another printer, in words, and prints nothing', async () => {
    magicard().feeder = 0;
    const first = call('POST', '/cards', { printer: 'cards-2', patron: '21000001', number: 'patron' });
    await until(
      () => (magicard().held.length > 0 ? true : undefined),
      10_000,
      'the job never reached the Magicard',
    );
    const frontDeskBefore = cards().length;

    const second = await call('POST', '/cards', { printer: 'cards-1', patron: '21000001', number: 'patron' });
    expect(second).toMatchObject({
      status: 409,
      json: { code: 'card_printing_elsewhere', detail: PRINTING_ELSEWHERE, printer: 'cards-2' },
    });
    expect(JSON.stringify(second.json)).not.toContain('21000001');
    expect(cards()).toHaveLength(frontDeskBefore);
    // Another patron's card at the front desk is printed meanwhile.
    const other = await call('POST', '/cards', { printer: 'cards-1', patron: '21000002', number: 'patron' });
    expect(other.json).toMatchObject({ result: 'issued' });

    // The card comes out at the back office: that is the patron's card.
    magicard().feeder = 50;
    magicard().run();
    const issued = await first;
    expect(issued.json).toMatchObject({ result: 'issued', device: 'cards-2', cardNumber: '21000001' });

    // Done, a second card is a replacement as any other: naming that card, it prints at the front desk.
    const reprint = await call('POST', '/cards', {
      printer: 'cards-1',
      patron: '21000001',
      number: 'allocate',
      replaces: '21000001',
    });
    expect(reprint.json).toMatchObject({ result: 'issued', device: 'cards-1', replaces: '21000001' });
  }, 40_000);

  it('refuses a second card while the first, printed at another printer, is not on record yet', async () => {
    const frontDeskBefore = cards().length;
    const [first, second] = await cardIssuesUnfinished(desk().databasePath, async () => [
      await call('POST', '/cards', { printer: 'cards-2', patron: '21000003', number: 'patron' }),
      await call('POST', '/cards', { printer: 'cards-1', patron: '21000003', number: 'patron' }),
    ]);
    expect(first!.json.code).toBe('card_outcome_unrecorded');
    expect(second).toMatchObject({
      status: 409,
      json: { code: 'card_printing_elsewhere', detail: PRINTING_ELSEWHERE },
    });
    expect(cards()).toHaveLength(frontDeskBefore);
  }, 40_000);
});
