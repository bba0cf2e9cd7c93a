import { CarrelError } from '../../core/errors.js';

export type OfflineErrorCode =
  /** The offline policy does not allow this kind of transaction (or offline mode is off). */
  | 'offline_not_allowed'
  /** A per-patron or total limit of the offline policy is reached. */
  | 'offline_limit_reached'
  /** The transaction is malformed (no item, a checkout with no patron…). */
  | 'offline_invalid_transaction'
  /** No journaled transaction has that id. */
  | 'offline_not_found'
  /** Staff can only resolve a transaction that is in conflict. */
  | 'offline_not_in_conflict'
  /** Staff cannot send a conflict again: a later transaction about its item or patron reached the ILS since. */
  | 'offline_replayed_after'
  /** Staff cannot send a conflict again: the ILS shows its item checked out or in there since (resend-check.ts). */
  | 'offline_item_changed'
  /** Staff cannot send a conflict again now: the ILS could not be asked where its item is. */
  | 'offline_item_unchecked';

/** A refusal by the offline journal. Messages never carry a patron id. */
export class OfflineError extends CarrelError {
  constructor(
    override readonly code: OfflineErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
