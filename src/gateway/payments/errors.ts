import { CarrelError } from '../../core/errors.js';

export type PaymentErrorCode =
  | 'payment_not_found'
  | 'payment_ended'
  /** A receipt is made once the payment has ended. */
  | 'payment_not_ended'
  /** An amount that is not a whole number of minor units, not positive, or above the limits. */
  | 'amount_invalid'
  /** The amount the kiosk showed is not what the fees come to now. */
  | 'amount_mismatch'
  /** A fee id the patron's account does not list (or lists without an amount). */
  | 'fee_unknown'
  /** A fee id the request lists more than once. */
  | 'fee_listed_twice'
  /** The patron's fees are in another currency than the desk takes. */
  | 'currency_mismatch'
  /** No print accounts are wired into this desk: a top-up or an overpayment cannot be credited. */
  | 'print_accounts_unavailable'
  /** No cash device to take the money on. */
  | 'no_cash_devices'
  | 'pin_required'
  | 'patron_required'
  | 'patron_card_not_found'
  | 'patron_card_ambiguous'
  /** A cash device is taking money for another payment. */
  | 'cash_device_busy'
  | 'no_receipt_printer'
  /** Nothing to pay out, or more than is owed back. */
  | 'payout_invalid'
  /** A payment with no failed line (or still collecting) has nothing to check. */
  | 'payment_nothing_to_check'
  /** Staff already checked the payment. */
  | 'payment_already_checked';

export class PaymentError extends CarrelError {
  constructor(
    override readonly code: PaymentErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
