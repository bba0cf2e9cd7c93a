/**
 * Replaying a journaled fee payment (SIP2 37). There is no SIP2 way to ask
 * whether the ILS has a payment, so its own already-done check is the fee
 * list (63 with fine items): the journal keeps what the fee owed just before
 * the first 37 that may have reached the ILS (`owedBeforeMinor`, committed
 * before that 37 goes out). The fee owes that less the payment: the ILS has
 * it (`already_done`). It owes the same: send it, with its own transaction id
 * (BK), its journaled time and its payment type. Anything else — the fee changed, or was gone
 * before any 37 of ours could have reached it — is a conflict for staff: the
 * money is in the cash box, and only a person can say where it belongs.
 */
import { feeSnapshot, owed, paymentCheck } from '../circulation/fee-check.js';
import { currencyExponent, decimalOf } from '../circulation/money.js';
import type { OfflineJournal } from './journal.js';
import { refused, type Settlement } from './refusal.js';
import type { IlsForReplay } from './replayer.js';
import type { OfflineFee, OfflineTransaction } from './transaction.js';

export async function replayFeePayment(
  tx: OfflineTransaction,
  ils: IlsForReplay,
  journal: OfflineJournal,
): Promise<Settlement> {
  const { patron, fee } = tx;
  if (patron === undefined || fee === undefined) return { state: 'conflict', reason: 'patron_missing' };
  if (!ils.patronInformation || !ils.feePaid) return { state: 'conflict', reason: 'fee_replay_unsupported' };
  const exponent = currencyExponent(fee.currency);
  const information = (await ils.patronInformation(patron, { summary: 'fineItems' })).message;
  const owedNow = owed(feeSnapshot(information, exponent), fee.id);
  let owedBefore = fee.owedBeforeMinor;
  if (owedBefore === undefined) {
    // No 37 of ours can have reached the ILS yet: what it owes now is what it owed before.
    if (owedNow === undefined) return { state: 'conflict', reason: 'fee_unreadable' };
    if (owedNow === 0) return { state: 'conflict', reason: 'fee_not_outstanding' };
    journal.noteOwedBefore(tx.id, owedNow);
    owedBefore = owedNow;
  }
  const check = paymentCheck(owedBefore, owedNow, fee.amountMinor);
  if (check === 'taken') return { state: 'done', outcome: 'already_done' };
  if (check === 'unknown') return { state: 'conflict', reason: 'fee_unreadable' };
  if (check === 'changed') return { state: 'conflict', reason: 'fee_changed' };
  const answer = (
    await ils.feePaid(patron, {
      amount: decimalOf(fee.amountMinor, exponent),
      currency: fee.currency,
      feeType: fee.type,
      paymentType: paymentTypeOf(fee),
      transactionId: fee.transactionId,
      transactionDate: new Date(tx.at),
      ...(fee.id !== undefined ? { feeId: fee.id } : {}),
    })
  ).message;
  if (answer.paymentAccepted) return { state: 'done', outcome: 'sent' };
  return refused(answer.screenMessage);
}

/**
 * The payment type (BT) the payment came with. One journaled before the journal kept it (schema
 * step 5) is sent as cash, as every replay sent it until then: the journal cannot tell now how it
 * was paid, and holding each such payment as a conflict would leave its fee owing at the ILS, the
 * patron perhaps blocked, until staff found it — for a tender, not for money lost or taken twice.
 */
function paymentTypeOf(fee: OfflineFee): { code: string } {
  return { code: fee.paymentType ?? '00' };
}
