/**
 * A journaled transaction the ILS is there for but cannot read: it asked for it again (96) past the
 * link's limit, and will at every run — usually a charset or error-detection setting that fails
 * only requests with certain letters in them (a block's message, a barcode). It is set aside as a
 * conflict for staff, in words, and the replay goes on; what the journal holds after it about the
 * same item or patron waits behind it (held, a conflict too), so that nothing about them reaches the
 * ILS before it: a checkin replayed ahead of the checkout it follows would leave the item on loan
 * once that checkout is sent again.
 */
import type { IlsError } from '../../devices/ils/errors.js';
import type { Settlement } from './refusal.js';
import type { OfflineTransaction } from './transaction.js';

/** The conflict's reason: the ILS could not read it (the link's error code). */
export const UNREADABLE = 'ils_resend_limit';
/** The conflict's reason: an earlier transaction about its item or patron is set aside unread. */
export const HELD_BEHIND_UNREADABLE = 'held_behind_unreadable';
/** Both: a transaction about the same item or patron as one of these must wait for it. */
export const SET_ASIDE_REASONS: readonly string[] = [UNREADABLE, HELD_BEHIND_UNREADABLE];

/** The ILS could not read it: the link's words (what to check) and what staff do then. */
export function unreadable(error: IlsError): Settlement {
  return {
    state: 'conflict',
    reason: UNREADABLE,
    message:
      `Not sent: ${error.message}. Once they agree, send it again; ` +
      'what was taken after it about the same item or patron waits for it.',
  };
}

const KINDS: Record<OfflineTransaction['kind'], string> = {
  checkout: 'checkout',
  checkin: 'checkin',
  feePaid: 'fee payment',
  blockPatron: 'card block',
};

/** What two transactions share, in words: their item (named), else their patron (never named). */
function sharedKey(a: OfflineTransaction, b: OfflineTransaction): string {
  return a.item !== '' && a.item === b.item ? `item ${a.item}` : 'patron';
}

/** Held behind `earlier`, which is set aside: named by its kind and number, never its patron. */
export function heldBehind(tx: OfflineTransaction, earlier: OfflineTransaction): Settlement {
  const about = sharedKey(tx, earlier);
  return {
    state: 'conflict',
    reason: HELD_BEHIND_UNREADABLE,
    message:
      `Not sent: it waits for the ${KINDS[earlier.kind]} #${earlier.sequence} of the same ${about}, taken ` +
      'before it, which the library system could not read. Send that one again first (or discard it), then this one.',
  };
}

/**
 * Why staff may not send a conflict again: `later`, taken after it about the same item, reached the
 * ILS since (replayed, or found done). Sent now, the conflict would reach the ILS after
 * it — a checkout refused at replay and sent again after its item's checkin would leave the item on
 * loan though it came back. Named by kind and number, never the patron.
 */
export function replayedSince(tx: OfflineTransaction, later: OfflineTransaction): string {
  return (
    `Not sent again: the ${KINDS[later.kind]} #${later.sequence} of the same ${sharedKey(tx, later)}, ` +
    `taken after this ${KINDS[tx.kind]}, has reached the library system since, and this one would ` +
    'reach it after that. Check the item and the patron at the library system, do there by hand what ' +
    'is still to be done, then discard this one here.'
  );
}
