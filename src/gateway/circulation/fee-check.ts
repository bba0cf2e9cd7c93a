/**
 * Whether a fee payment (SIP2 37) reached the ILS, when its answer was lost.
 * SIP2 has no way to look a payment up, so the patron's fee list (63 with
 * fine items) is read before the 37 goes out and again afterwards: the fee is
 * found by its id (AV lines, `<id> <amount> …`), or the total (BV) stands for
 * it when the payment names no fee. The payment was taken when the fee now
 * owes exactly what it owed less the payment (nothing, if that paid it off);
 * not taken when it owes what it owed; anything else changed it meanwhile and
 * only staff can tell.
 */
import type { Sip2Message } from '../../protocols/sip2/index.js';
import { fineItem } from './mapping.js';
import { minorOf } from './money.js';

/** What a patron owed, as one 64 said: the total and each fee by its id, in minor units. */
export interface FeeSnapshot {
  total: number | undefined;
  /** Fee id → outstanding; undefined when the ILS listed no fines (no summary asked, or none given). */
  fees: Map<string, number> | undefined;
}

export function feeSnapshot(answer: Sip2Message<'patronInformationResponse'>, exponent = 2): FeeSnapshot {
  const lines = answer.fineItems;
  const fees =
    lines === undefined
      ? undefined
      : new Map(
          lines.flatMap((line) => {
            const fee = fineItem(line);
            const amount = minorOf(fee.amount, exponent);
            return fee.id !== undefined && amount !== undefined ? [[fee.id, amount] as const] : [];
          }),
        );
  return { total: minorOf(answer.feeAmount, exponent), fees };
}

/** What the fee (or, with no fee id, the whole account) owes in a snapshot; a fee not listed owes 0. */
export function owed(snapshot: FeeSnapshot, feeId: string | undefined): number | undefined {
  if (feeId === undefined) return snapshot.total;
  if (!snapshot.fees) return undefined;
  return snapshot.fees.get(feeId) ?? 0;
}

export type PaymentCheck = 'taken' | 'not_taken' | 'changed' | 'unknown';

export function paymentCheck(
  owedBefore: number | undefined,
  owedNow: number | undefined,
  amountMinor: number,
): PaymentCheck {
  if (owedBefore === undefined || owedNow === undefined) return 'unknown';
  if (owedNow === Math.max(0, owedBefore - amountMinor)) return 'taken';
  if (owedNow === owedBefore) return 'not_taken';
  return 'changed';
}
