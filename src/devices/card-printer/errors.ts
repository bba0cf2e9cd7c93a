import { CarrelError } from '../../core/errors.js';
import type { EvolisFault } from '../../protocols/evolis/index.js';

/**
 * A card the printer could not make. `fault` is why (the printer's refusal, or `magstripe_mismatch`
 * when the stripe read back is not what was written); `cardTaken` says whether a card had left the
 * feeder (it then went to the reject box, when the printer still could).
 */
export class CardPrintError extends CarrelError {
  constructor(
    readonly fault: EvolisFault | 'magstripe_mismatch' | 'no_reply' | 'bad_reply' | 'link_lost',
    message: string,
    readonly cardTaken: boolean,
    readonly rejected: boolean,
  ) {
    super(`card_${fault}`, message);
  }
}
