/** Who pays: the patron's barcode as given, or read from the patron card lying on a pad. */
import { isPatronCard } from '../../protocols/rfid/index.js';
import type { OpenPaymentRequest } from '../contracts/payments.js';
import { rfidReaders } from '../families/rfid-reader/index.js';
import type { PortLookup } from '../family.js';
import { PaymentError } from './errors.js';

export function payingPatron(request: OpenPaymentRequest, devices: PortLookup): string {
  if (request.patron !== undefined && request.patron !== '') return request.patron;
  if (request.patronCard === true) {
    if (request.pad === undefined)
      throw new PaymentError('patron_card_not_found', 'a patron card is read from a pad: name one');
    const cards = devices
      .port(rfidReaders, request.pad)
      .tags()
      .tags.filter((tag) => tag.item && isPatronCard(tag.item));
    if (cards.length === 0)
      throw new PaymentError('patron_card_not_found', `no patron card is on pad "${request.pad}"`);
    if (cards.length > 1)
      throw new PaymentError('patron_card_ambiguous', `more than one patron card is on pad "${request.pad}"`);
    return cards[0]!.item!.primaryItemId;
  }
  throw new PaymentError('patron_required', 'a payment needs a patron: a barcode, or patronCard with a pad');
}
