/**
 * The offline journal as the rest of the gateway and the API see it: staff
 * reading and settling it, circulation taking work into it, and requests that
 * must not overtake its backlog.
 */
import type {
  OfflineCounts,
  OfflineOrderingKeys,
  OfflineResolution,
  OfflineState,
  OfflineTransaction,
  OfflineTransactionInput,
} from '../offline/journal.js';
import type { OfflineSettleOutcome } from '../offline/replayer.js';

/** The offline journal as staff see it: what was taken while the ILS was away, and the conflicts. */
export interface OfflineService {
  /** Every journaled transaction in sequence order, or those in one state. */
  transactions(filter?: { state?: OfflineState }): OfflineTransaction[];
  counts(): OfflineCounts;
  /**
   * Settles a conflict: 'retry' replays it again (once the ILS's state of its item allows it),
   * 'discard' drops it. Rejects with an OfflineError otherwise.
   */
  resolve(id: string, action: OfflineResolution): Promise<OfflineTransaction>;
}

/** Where circulation puts a transaction the ILS cannot be reached for; the journal fits it. */
export interface OfflineIntake {
  /** Commits the transaction or throws an OfflineError (offline_not_allowed, offline_limit_reached…). */
  accept(transaction: OfflineTransactionInput): { id: string; sequence: number };
}

/** The backlog as request paths need it (circulation, the SIP2 relay); offline mode fits it. */
export interface OfflineOrdering {
  /**
   * Resolves once nothing journaled about these items or this patron waits for
   * replay (replaying it first); `unreachable` when the ILS stopped answering.
   */
  settle(keys: OfflineOrderingKeys): Promise<OfflineSettleOutcome>;
  /**
   * True when nothing at all waits for replay, so `settle` would answer `clear`
   * at once: a request path may skip the wait (no promise, no turn of the
   * microtask queue). Optional: without it, every request settles.
   */
  isClear?(): boolean;
}
