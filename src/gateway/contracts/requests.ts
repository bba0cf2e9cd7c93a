/**
 * Request ids: a client that lost an answer (a kiosk's Wi-Fi, a timeout, MQTT's
 * at-least-once delivery) sends the same request again with the same id, and
 * what was done the first time is answered again, not done twice.
 */

/** One request that must be done at most once. */
export interface RequestCall {
  /** Who is asking (the token's name): ids are the caller's own, never shared with another. */
  caller: string;
  /** The client's id for this request (8 to 128 printable characters, a UUID). */
  requestId: string;
  /** What is asked, e.g. `circulation.checkout`. */
  action: string;
  /**
   * The request's own fields, without its PIN: the same id with other fields
   * is refused (`request_id_conflict`) rather than answered with another's
   * answer. Kept only as a hash.
   */
  fields: unknown;
  /**
   * A secret the request carries (the patron's PIN), never among `fields`. It must match too — the
   * same id with another PIN, or none, is another request — compared through a keyed hash within
   * the request's hash, under a key kept apart from the database (a file beside it, the owner's
   * alone), so that the PIN is never kept and a request kept on disk is compared across restarts.
   */
  secret?: string | undefined;
  /** How this action's errors end: see {@link RequestOutcome}. */
  outcomeOf(error: unknown): RequestOutcome;
  /** A kept refusal as the error to throw again. */
  restore(kept: KeptRefusal): Error;
  /**
   * Whether a result is the request's last word (by default every one is). One that is not — an
   * item of a session still waiting for the rest of its set, or failed before the ILS had it — is
   * forgotten at once, as an error that did nothing is: the same id sent again asks again.
   */
  final?(result: unknown): boolean;
  /**
   * The answer to the same request kept in memory sent again, from the first one's (by default
   * that answer): for what the first answer described and has changed since (a session it opened,
   * ended now), what is true now — a view of it as it stands, or an error saying so.
   */
  again?(first: unknown): unknown;
  /** Called when the answer is the first request's, again (HTTP says so in a header). */
  onReplay?(): void;
  /**
   * `disk` (the default): kept in the database, across restarts. `memory`: answered again by
   * this process only, for ten minutes after it ended, and nothing is written — for what does
   * not outlive the process anyway (a self-check session) and whose answer names the patron.
   */
  keep?: 'disk' | 'memory';
}

/**
 * What an error means for the request:
 * - `refusal`: an answer (the ILS said no). Kept, and answered again.
 * - `nothing_done`: nothing happened (validation, no ILS to ask). Forgotten: the same id may be tried again.
 * - `in_doubt`: the request may have been done (it went out and its answer was lost). Kept as
 *   in doubt: the same id is refused with `request_in_doubt`, never sent again.
 */
export type RequestOutcome = { kind: 'refusal'; kept: KeptRefusal } | { kind: 'nothing_done' | 'in_doubt' };

/** A refusal as it is kept: the stable code and what it said. */
export interface KeptRefusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface RequestIdService {
  /**
   * Does `work` at most once for the caller's request id. The same id again
   * while it runs waits for the same answer; after, it gets the answer kept
   * (a result or a refusal). An id left running by a Carrel that stopped
   * (a crash, a power cut) or in doubt is refused with `request_in_doubt`.
   */
  once<T>(call: RequestCall, work: () => Promise<T>): Promise<T>;
}
