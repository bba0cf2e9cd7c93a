import { CarrelError, describeError } from '../../../core/errors.js';
import { isPatronCard } from '../../../protocols/rfid/index.js';
import type { RfidReaderPort, RfidTagView } from './port.js';

/**
 * The barcode on the one patron card lying on a pad now: a release station's card login, a payment
 * by the card on the pad. Read from an inventory the pad takes now (`tagsNow`), not from its kept
 * view: that holds a card lifted off for a few rounds, so the next patron laying a card down
 * meanwhile would be refused as two cards, or logged in and charged as the patron who just left.
 * No card, or more than one, is a problem with its code; a pad that cannot be read now counts as
 * having no card, and says why.
 */
export async function patronCardOn(pad: string, port: RfidReaderPort): Promise<string> {
  let tags: RfidTagView[];
  try {
    tags = await port.tagsNow();
  } catch (error) {
    const { code, message } = describeError(error);
    if (code !== 'unavailable') throw error;
    throw new CarrelError(
      'patron_card_not_found',
      `no patron card can be read on pad "${pad}" now: ${message}`,
      { cause: error },
    );
  }
  const cards = tags.filter((tag) => tag.item && isPatronCard(tag.item));
  if (cards.length === 0) throw new CarrelError('patron_card_not_found', `no patron card is on pad "${pad}"`);
  if (cards.length > 1)
    throw new CarrelError('patron_card_ambiguous', `more than one patron card is on pad "${pad}"`);
  return cards[0]!.item!.primaryItemId;
}
