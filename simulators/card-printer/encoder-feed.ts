/**
 * The card printer's encoding station on the simulated desk: each card the printer makes carries a
 * fresh chip, and the card comes to the encoder — here a simulated RFID pad beside the printer — as
 * it leaves the printer, so every card issued can have its chip encoded, one after another, as at a
 * real desk. The chip is as its maker ships it: no data and no library security (AFI 0x00; 0x07 is
 * a library item on the shelf, which the gates alarm on — ISO 28560-1 — and a patron's card must not
 * carry it). The card made before is taken off when the next comes (it went to the patron); whatever
 * else lies on the pad — books, another card laid there — stays, and Carrel refuses to encode beside it.
 */
import type { Logger } from '../../src/core/logger.js';
import type { SimulatorDesk } from '../common/family.js';
import type { RfidPadSimulator } from '../rfid-pad/simulator.js';
import type { CardPrinterSimulator, CardSummary } from './simulator.js';

/** A new card's chip: ISO 15693's AFI for no application family, the factory's. */
export const BLANK_CARD_AFI = 0x00;

export function feedEncoder(
  printer: CardPrinterSimulator,
  padId: string,
  desk: SimulatorDesk,
  logger: Logger,
): void {
  let delivered: string | undefined;
  printer.events.on('card', (card: CardSummary) => {
    // A card that failed went to the reject box, not to the encoder.
    if (card.outcome !== 'printed') return;
    const pad = desk.simulator?.(padId);
    if (pad?.kind !== 'rfid-pad') {
      logger.warn({ encoderPad: padId }, 'the encoding pad is not a running rfid-pad simulator: no chip fed');
      return;
    }
    const field = pad.handle as RfidPadSimulator;
    if (delivered !== undefined) field.remove(delivered);
    delivered = field.place({ preset: 'blank', afi: BLANK_CARD_AFI }).uid;
  });
}
