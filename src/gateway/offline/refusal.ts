/**
 * Why the ILS refused a replayed transaction, as a stable reason for staff
 * and events. SIP2 2.00 carries no refusal code in a 12 or a 10, only screen
 * messages (AF), so the reason is read from their wording; anything not
 * recognised is `ils_refused`, with the ILS's own words kept beside it.
 */
import type { OfflineReplayOutcome } from './transaction.js';

const REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/unknown patron|invalid patron|patron not found/i, 'patron_unknown'],
  [/unknown item|item not found|invalid item/i, 'item_unknown'],
  [/another patron|checked out to someone/i, 'item_checked_out_to_another'],
  [/block|reported lost|card lost|suspend|barred/i, 'patron_blocked'],
  [/expired/i, 'patron_expired'],
  [/on hold for|reserved for/i, 'item_on_hold_for_another'],
  [/fee|fine/i, 'fee_required'],
];

export function refusalReason(screenMessages: readonly string[] | undefined): string {
  for (const text of screenMessages ?? []) {
    for (const [pattern, reason] of REASONS) if (pattern.test(text)) return reason;
  }
  return 'ils_refused';
}

/** How a replayed transaction ends: the ILS has it, or staff must decide. */
export type Settlement =
  | { state: 'done'; outcome: OfflineReplayOutcome }
  | { state: 'conflict'; reason: string; message?: string };

/** A refusal by the ILS as a conflict, with its reason and its words. */
export function refused(screenMessage: readonly string[] | undefined): Settlement {
  const message = screenMessage?.join(' / ');
  return {
    state: 'conflict',
    reason: refusalReason(screenMessage),
    ...(message ? { message } : {}),
  };
}
