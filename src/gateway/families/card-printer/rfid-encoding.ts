/**
 * Encoding an issued card's RFID chip on the desk pad: staff lay the printed card (an ISO 15693
 * inlay) alone on the pad; its tag gets the card number as an ISO 28560 patron card (type of usage
 * `patron-card`), written and read back by the pad's own port, and the read-back is compared.
 *
 * A patron card is never a secured item: a chip the gates would alarm on is unsecured once written.
 * Only a new card's chip is written: a blank one, or a patron card already holding this card's
 * number (encoding again). A library item's tag, another patron's card or a chip whose data the pad
 * could not read is never written over — the book would lose its tag, the patron their card — and
 * the refusal says what to take off the pad.
 */
import { CarrelError } from '../../../core/errors.js';
import { isPatronCard } from '../../../protocols/rfid/index.js';
import type { RfidReaderPort, RfidTagView } from '../rfid-reader/port.js';

export interface RfidEncodingOptions {
  format: '28560-3' | '28560-2';
  isil?: string | undefined;
  /**
   * Only a chip already holding the card's number is taken, never a blank one: a card whose write
   * was cut short may carry the number already, and a blank chip on the pad may be another new card's.
   */
  holdingTheNumberOnly?: boolean | undefined;
  /**
   * The chip a write went to that failed partway (the card lifted off the pad): it is this card's,
   * and is written again whatever it holds — part of the number reads as anything. Any other chip is
   * taken only holding the number: the failed one may hold it whole.
   */
  failedChip?: string | null | undefined;
  /** Told the chip's UID just before its write begins: from then on it may hold part of the number. */
  writing?: ((uid: string) => void) | undefined;
}

const LAY_THE_CARD = 'lay the new card there alone and encode again';

/** What a tag on the pad is, for encoding: a chip to write, or something that must stay as it is. */
function tagKind(tag: RfidTagView, cardNumber: string): 'card' | 'item' | 'other-card' | 'unreadable' {
  if (tag.item === null) return 'unreadable';
  if (isPatronCard(tag.item)) return tag.item.primaryItemId === cardNumber ? 'card' : 'other-card';
  return tag.item.primaryItemId === '' ? 'card' : 'item';
}

/**
 * Writes the card number on the one tag on the pad, as a patron card; its UID once read back equal.
 * The tag is the one that answers an inventory taken now, not the pad's kept view: a card printer
 * lays the new card on its pad as it takes the one before off, and a kiosk encodes as soon as the
 * card is issued — the view may still hold the card before, or not yet the new one.
 */
export async function encodePatronCard(
  pad: RfidReaderPort,
  cardNumber: string,
  options: RfidEncodingOptions,
): Promise<{ uid: string }> {
  const tags = await pad.tagsNow();
  if (tags.length === 0) throw new CarrelError('rfid_no_card', `nothing is on the pad: ${LAY_THE_CARD}`);
  if (tags.length > 1) {
    const items = tags.filter((tag) => tagKind(tag, cardNumber) === 'item').length;
    const what =
      items === 0 ? '' : items === 1 ? ' (one is a library item)' : ` (${items} are library items)`;
    throw new CarrelError(
      'rfid_card_not_alone',
      `${tags.length} tags are on the pad${what}: take the other items off the pad, leave the new card there alone and encode again`,
    );
  }
  const [tag] = tags;
  const kind = tag!.uid === options.failedChip ? 'failed-chip' : tagKind(tag!, cardNumber);
  if (kind === 'item')
    throw new CarrelError(
      'rfid_not_a_card',
      `the tag on the pad is a library item (${tag!.item!.primaryItemId}), not the new card; nothing was written: take the item off the pad, ${LAY_THE_CARD}`,
    );
  if (kind === 'other-card')
    throw new CarrelError(
      'rfid_not_a_card',
      `the card on the pad already holds another library card's number; nothing was written: take it off the pad, ${LAY_THE_CARD}`,
    );
  if (kind === 'unreadable')
    throw new CarrelError(
      'rfid_not_a_card',
      `the pad could not read the chip on it (it may be another library's item); nothing was written: take it off the pad, ${LAY_THE_CARD}`,
    );
  if (kind === 'card' && options.failedChip && !isPatronCard(tag!.item!))
    throw new CarrelError(
      'card_chip_write_cut_short',
      `the chip on the pad is blank, so nothing was written: this card’s chip (${options.failedChip}) was being written when the write failed, and may hold the number already — lay that card alone on the pad and encode again; if it is lost or destroyed, give its chip up saying it is destroyed and print the patron a new card`,
    );
  if (kind === 'card' && options.holdingTheNumberOnly === true && !isPatronCard(tag!.item!))
    throw new CarrelError(
      'card_chip_write_cut_short',
      'the chip on the pad is blank, so nothing was written: it may be another new card’s, and this card’s chip, whose write Carrel did not live to finish, may hold the number already — lay this card alone on the pad and encode again; if its chip is blank too, the write never reached it: cut the card through, press Destroyed and print the patron a new card',
    );
  options.writing?.(tag!.uid);
  const written = await pad.program(tag!.uid, {
    format: options.format,
    primaryItemId: cardNumber,
    typeOfUsage: 'patron-card',
    ...(options.isil ? { isil: options.isil } : {}),
  });
  if (written.item?.primaryItemId !== cardNumber || written.item?.typeOfUsage !== 'patron-card')
    throw new CarrelError('rfid_verify_failed', 'the chip read back is not the card written');
  // A chip that came set as a library item on the shelf (AFI 0x07, ISO 28560-1) would make the gates
  // alarm each time the patron walks out with their card: a patron card is left unsecured.
  if (written.secured === true) await pad.setSecurity(tag!.uid, false);
  return { uid: tag!.uid };
}
