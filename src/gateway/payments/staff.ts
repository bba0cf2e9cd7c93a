/**
 * What staff at the desk see of ended payments and do with them: those still owing the patron
 * money (an excess the desk refused, what was paid for a fee the ILS refused, money a device took
 * after the payment ended), those with money whose fate is unknown (a line failed: staff check it
 * at the library system, checks.ts), and the cash handed back to the patron. Each is read from the
 * store and shown as the payment's view (view.ts), as the manager shows any payment.
 */
import { moneyText } from '../circulation/money.js';
import type { PaymentView } from '../contracts/payments.js';
import { PaymentError } from './errors.js';
import type { PaymentStore } from './store.js';

/** At most this many payments owing money (or to check) are listed: a desk with more has a bigger problem to see. */
const OWING_LISTED = 200;

/** A payment's view by its id (the manager's: from the journals, with what is live). */
type ViewOf = (id: string) => PaymentView;

/** Ended payments that still owe the patron money (staff pay it out at the desk), newest first. */
export function owingPayments(store: PaymentStore, view: ViewOf): PaymentView[] {
  return store
    .owing(OWING_LISTED)
    .map((row) => view(row.id))
    .filter((payment) => payment.overpayment.owedToPatronMinor > payment.overpayment.paidOutMinor);
}

/** Ended payments with money whose fate is not known (a line failed), newest first: staff check them. */
export function paymentsToCheck(store: PaymentStore, view: ViewOf): PaymentView[] {
  return store.withFailedLines(OWING_LISTED).map((row) => view(row.id));
}

/** Records cash handed back to the patron by `staff`: at most what the payment still owes them. */
export function payOut(
  store: PaymentStore,
  view: ViewOf,
  payout: { id: string; amountMinor: number; staff: string; at: number },
): PaymentView {
  const { overpayment, currency } = view(payout.id);
  const owed = overpayment.owedToPatronMinor - overpayment.paidOutMinor;
  const { amountMinor } = payout;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0 || amountMinor > owed)
    throw new PaymentError(
      'payout_invalid',
      `the patron is owed ${moneyText(owed, currency)} on this payment`,
    );
  store.payOut(payout.id, amountMinor, payout.staff, payout.at);
  return view(payout.id);
}
