/**
 * A payment as the kiosk and staff see it, made from the journals: what is
 * due from the payment, what was paid from the credit journal's entries for
 * it (never a count kept aside), how each line ended. The patron by name only.
 */
import { actorAsKept } from '../contracts/actor.js';
import type { PaymentView } from '../contracts/payments.js';
import type { CreditRow } from '../families/cash-device/credit-journal.js';
import type { CheckRow, LineRow, PaymentRow, PayoutRow } from './store.js';

export function paymentView(
  row: PaymentRow,
  lines: LineRow[],
  credits: CreditRow[],
  now: { accepting: number[]; expiresAt: number },
  check?: CheckRow,
  payouts: PayoutRow[] = [],
  uncounted: CreditRow[] = [],
): PaymentView {
  const paid = credits.reduce((sum, credit) => sum + (credit.value_minor ?? 0), 0);
  const due = row.amount_due_minor;
  // Ended, it was settled with what it had then; money credited since is owed back to the patron.
  const ended = row.state === 'completed' || row.state === 'cancelled';
  const settled = ended && row.settled_minor !== null ? Math.min(row.settled_minor, paid) : paid;
  const late = paid - settled;
  return {
    id: row.id,
    state: row.state,
    purpose: row.purpose,
    currency: row.currency,
    patron: { name: row.patron_name },
    amountDueMinor: due,
    paidMinor: paid,
    remainingMinor: Math.max(0, due - settled),
    overpaidMinor: Math.max(0, settled - due) + late,
    overpayment: {
      toPrintAccountMinor: row.to_print_minor,
      owedToPatronMinor: row.owed_to_patron_minor + late,
      paidOutMinor: row.paid_out_minor,
    },
    lines: lines.map((line) => ({
      kind: line.kind,
      ...(line.fee_id !== null ? { feeId: line.fee_id } : {}),
      ...(line.fee_type !== null ? { feeType: line.fee_type } : {}),
      ...(line.description !== null ? { description: line.description } : {}),
      dueMinor: line.due_minor,
      paidMinor: line.paid_minor,
      state: line.state,
      transactionId: line.transaction_id,
      ...(line.message !== null ? { message: line.message } : {}),
    })),
    credits: credits.map((credit) => ({
      device: credit.device,
      valueMinor: credit.value_minor ?? 0,
      at: new Date(credit.at).toISOString(),
    })),
    uncounted: uncounted.map((money) => ({
      device: money.device,
      reason: money.reason as PaymentView['uncounted'][number]['reason'],
      ...(money.value_minor !== null ? { valueMinor: money.value_minor } : {}),
      at: new Date(money.at).toISOString(),
    })),
    devices: JSON.parse(row.devices) as string[],
    accepting: now.accepting,
    offline: lines.some((line) => line.state === 'journaled'),
    startedAt: new Date(row.started_at).toISOString(),
    expiresAt: new Date(now.expiresAt).toISOString(),
    ...(row.ended_at !== null ? { endedAt: new Date(row.ended_at).toISOString() } : {}),
    ...(row.end_reason !== null ? { endReason: row.end_reason } : {}),
    ...(check
      ? {
          check: {
            outcome: check.outcome,
            ...(check.note !== null ? { note: check.note } : {}),
            by: actorAsKept(check.staff),
            at: new Date(check.at).toISOString(),
          },
        }
      : {}),
    ...(payouts.length > 0
      ? {
          payouts: payouts.map((payout) => ({
            amountMinor: payout.amount_minor,
            by: actorAsKept(payout.staff),
            at: new Date(payout.at).toISOString(),
          })),
        }
      : {}),
  };
}
