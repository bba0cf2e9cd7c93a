/** Who pays: the patron's barcode as given, or read from the patron card lying on a pad now. */
import type { OpenPaymentRequest } from '../contracts/payments.js';
import { rfidReaders } from '../families/rfid-reader/index.js';
import { patronCardOn } from '../families/rfid-reader/patron-card.js';
import type { PortLookup } from '../family.js';
import { PaymentError } from './errors.js';

export async function payingPatron(request: OpenPaymentRequest, devices: PortLookup): Promise<string> {
  if (request.patron !== undefined && request.patron !== '') return request.patron;
  if (request.patronCard === true) {
    if (request.pad === undefined)
      throw new PaymentError('patron_card_not_found', 'a patron card is read from a pad: name one');
    return patronCardOn(request.pad, devices.port(rfidReaders, request.pad));
  }
  throw new PaymentError('patron_required', 'a payment needs a patron: a barcode, or patronCard with a pad');
}
