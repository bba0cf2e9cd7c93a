import { CarrelError, describeError } from '../../../core/errors.js';
import { isPatronCard } from '../../../protocols/rfid/index.js';
import type { RfidReaderPort } from './port.js';

/**
 * The barcode on the one patron card lying on a pad (a release station's card
 * login). No card, or more than one, is a problem with its code; a pad that
 * cannot be read now counts as having no card.
 */
export function patronCardOn(pad: string, port: RfidReaderPort | null): string {
  if (port === null) throw new CarrelError('patron_card_not_found', `no RFID pad "${pad}"`);
  let tags: ReturnType<RfidReaderPort['tags']>['tags'];
  try {
    tags = port.tags().tags;
  } catch (error) {
    if (describeError(error).code !== 'unavailable') throw error;
    tags = [];
  }
  const cards = tags.filter((tag) => tag.item && isPatronCard(tag.item));
  if (cards.length === 0) throw new CarrelError('patron_card_not_found', `no patron card is on pad "${pad}"`);
  if (cards.length > 1)
    throw new CarrelError('patron_card_ambiguous', `more than one patron card is on pad "${pad}"`);
  return cards[0]!.item!.primaryItemId;
}
