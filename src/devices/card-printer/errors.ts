import { CarrelError } from '../../core/errors.js';
import type { EvolisFault } from '../../protocols/evolis/index.js';

/**
 * Why a card was not made: the Evolis printer's own refusal, a stripe that read back wrong, a
 * printer that did not answer or answered garbage, a lost link, or (Magicard, which answers nothing
 * about a job) a card that did not come out in time.
 */
export type CardPrintFault =
  | EvolisFault
  | 'magstripe_mismatch'
  | 'no_reply'
  | 'bad_reply'
  | 'link_lost'
  | 'not_printed'
  /** The link failed after the job was sent and the printer could not be asked whether it made the card. */
  | 'outcome_unknown';

/**
 * A card the printer could not make. `fault` is why (the printer's refusal, or `magstripe_mismatch`
 * when the stripe read back is not what was written); `cardTaken` says whether a card had left the
 * feeder (it then went to the reject box, when the printer still could).
 */
export class CardPrintError extends CarrelError {
  constructor(
    readonly fault: CardPrintFault,
    message: string,
    readonly cardTaken: boolean,
    readonly rejected: boolean,
  ) {
    super(`card_${fault}`, message);
  }
}
