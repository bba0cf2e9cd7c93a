/**
 * Staff's check of a payment on the to-check list: a line failed (money in the box, the ILS's
 * answer lost, or a top-up not credited), so staff look the patron up in the library system (or
 * at the print desk) and record what they found — it was there already, or they recorded it by
 * hand — with who did and when. The payment then leaves the list, its failed lines count as paid
 * in the statistics, and the retention may forget its patron like any settled payment.
 */
import { byWhom } from '../contracts/actor.js';
import type { PaymentCheckOutcome } from '../contracts/payments.js';
import { PaymentError } from './errors.js';
import type { PaymentStore } from './store.js';

/** The longest note staff may write on a check. */
export const CHECK_NOTE_MAX = 200;

export function recordCheck(
  store: PaymentStore,
  id: string,
  check: { outcome: PaymentCheckOutcome; note?: string | undefined },
  staff: string,
  now: number,
): void {
  const row = store.get(id);
  if (!row) throw new PaymentError('payment_not_found', 'no such payment');
  const done = store.checkOf(id);
  if (done)
    throw new PaymentError(
      'payment_already_checked',
      `this payment was already checked ${byWhom(done.staff)} at ${new Date(done.at).toISOString()}: nothing was changed`,
    );
  const ended = row.state === 'completed' || row.state === 'cancelled';
  if (!ended || !store.lines(id).some((line) => line.state === 'failed'))
    throw new PaymentError(
      'payment_nothing_to_check',
      ended
        ? 'every line of this payment reached the library system (or the print account): there is nothing to check'
        : 'this payment is still going on: it can be checked once it has ended with a line that failed',
    );
  const note = check.note?.trim().slice(0, CHECK_NOTE_MAX);
  store.check({ payment: id, outcome: check.outcome, note: note ? note : null, staff, at: now });
}
