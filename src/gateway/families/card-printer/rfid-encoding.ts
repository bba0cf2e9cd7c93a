/**
 * Encoding an issued card's RFID chip on the desk pad: staff lay the printed card (an ISO 15693
 * inlay) alone on the pad; its tag gets the card number as an ISO 28560 patron card (type of usage
 * `patron-card`), written and read back by the pad's own port, and the read-back is compared.
 */
import { CarrelError } from '../../../core/errors.js';
import type { RfidReaderPort } from '../rfid-reader/port.js';

export interface RfidEncodingOptions {
  format: '28560-3' | '28560-2';
  isil?: string | undefined;
}

/** Writes the card number on the one tag on the pad, as a patron card; its UID once read back equal. */
export async function encodePatronCard(
  pad: RfidReaderPort,
  cardNumber: string,
  options: RfidEncodingOptions,
): Promise<{ uid: string }> {
  const { tags } = pad.tags();
  if (tags.length === 0) throw new CarrelError('rfid_no_card', 'lay the card on the pad');
  if (tags.length > 1)
    throw new CarrelError(
      'rfid_card_not_alone',
      `${tags.length} tags are on the pad: lay the card there alone`,
    );
  const [tag] = tags;
  const written = await pad.program(tag!.uid, {
    format: options.format,
    primaryItemId: cardNumber,
    typeOfUsage: 'patron-card',
    ...(options.isil ? { isil: options.isil } : {}),
  });
  if (written.item?.primaryItemId !== cardNumber || written.item?.typeOfUsage !== 'patron-card')
    throw new CarrelError('rfid_verify_failed', 'the chip read back is not the card written');
  return { uid: tag!.uid };
}
