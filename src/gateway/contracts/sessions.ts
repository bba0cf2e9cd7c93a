/**
 * A self-check session as a kiosk sees it: who is at the kiosk (by name, never
 * by barcode), the pad it watches, and every item with its live state.
 */
import type { RefusalReason } from '../circulation/reasons.js';
import type { PrintJobView } from '../families/receipt-printer/index.js';
import type { CheckinAlertType, IlsDate, Money } from './circulation.js';

export type SessionMode = 'checkout' | 'return';

/**
 * Where an item stands in the session:
 * - `on_pad`: placed and identified, waiting for the kiosk to ask (sessions that do not process items automatically);
 * - `pending`: with the ILS or the pad now;
 * - `incomplete_set`: a multi-part item with parts missing from the pad (all parts must be on it);
 * - `fee_required`: the ILS wants the patron to accept a fee first (ask again with `feeAcknowledged`);
 * - `checked_out` (with its due date) or `checked_in` (with its sort bin and alerts): done;
 * - `refused`: the ILS said no — `reason` and the ILS's `screenMessages` say why;
 * - `security_failed`: the ILS did its part but the tag's security could not be set — put it back on the pad;
 * - `failed`: the request could not be done (the ILS is unreachable, say) — `reason` holds the error code.
 */
export type SessionItemState =
  | 'on_pad'
  | 'pending'
  | 'incomplete_set'
  | 'fee_required'
  | 'checked_out'
  | 'checked_in'
  | 'refused'
  | 'security_failed'
  | 'failed';

/**
 * The item's security (AFI/EAS on its tags): `cleared` after a checkout, `set`
 * after a return, `kept` when the ILS said not to change it, `none` when the
 * item has no tag on the pad (a barcode scanned, or magnetic media).
 */
export type SessionItemSecurity = 'cleared' | 'set' | 'kept' | 'none' | 'failed';

/**
 * A renewal in a session: one loan (`item`), every loan with Renew All (`all`), or neither (her loans
 * from before the session, one by one). `feeAcknowledged`: the patron accepted the fee the ILS asked
 * for this loan (or these, with `all`): sent as SIP2 BO, as a checkout's.
 */
export interface SessionRenewRequest {
  item?: string | undefined;
  all?: boolean | undefined;
  feeAcknowledged?: boolean | undefined;
}

export interface SessionItemView {
  /** The item's barcode (ISO 28560 primary item id). */
  item: string;
  title?: string;
  state: SessionItemState;
  /** UIDs of the item's tags seen on the pad (one per part). */
  tags: string[];
  /** A multi-part item: how many parts, and how many are on the pad now. */
  set?: { parts: number; onPad: number };
  /** A checkout: when it is due. Null for an offline checkout (the ILS sets it later). */
  dueDate?: IlsDate | null;
  /** The checkout renewed a loan the patron already had. */
  renewal?: boolean;
  /** Taken into the offline journal: sent to the ILS when it is back. */
  offline?: boolean;
  security?: SessionItemSecurity;
  /** Magnetic media (tapes, some discs): the kiosk tells the patron not to use a magnetic desensitizer. */
  magneticMedia?: boolean;
  /** A fee for this loan (rental), or the fee the patron must accept. */
  fee?: Money & { type?: string };
  /** A return: where the item goes (sorter bin), and why it is special. */
  sortBin?: string;
  alert?: { type: CheckinAlertType; message: string };
  /** Refused or failed: a stable reason code (the refusal reasons, or an error code). */
  reason?: RefusalReason | string;
  /** Failed: what went wrong, in words, as a circulation route's problem `detail` says it. */
  message?: string;
  /**
   * Failed after the request reached the ILS, whose answer was lost: it may have been done, so
   * staff look it up rather than the kiosk asking again. A failed item without it was not done:
   * asking again (POST …/items) is safe.
   */
  answerLost?: boolean;
  /** The ILS's own words for the patron. */
  screenMessages: string[];
  updatedAt: string;
}

/** The patron at the kiosk: enough to greet them and say what blocks them. Never the barcode or PIN. */
export interface SessionPatronView {
  name: string;
  blocked: boolean;
  reasons: RefusalReason[];
  fines: { total: string; currency: string | null };
  counts: { loans: number; overdue: number; holdsAvailable: number };
  screenMessages: string[];
}

export interface SessionRenewalView {
  item: string;
  title?: string;
  /** Renewed: `dueDate` is the new due date. */
  ok: boolean;
  dueDate?: IlsDate;
  /** Not renewed: the refusal reason (the ILS said no), or the error code (it could not be asked). */
  reason?: RefusalReason | string;
  /**
   * Not renewed: why, in words a kiosk can show — what POST /renewals's problem `detail` says for the
   * same refusal or failure; for a loan not tried, that it was not sent and why.
   */
  message?: string;
  /**
   * Sent to the ILS, whose answer was lost: it may have been renewed. It is not sent again (a
   * renewal spends one of the loan's renewals); staff look it up.
   */
  answerLost?: boolean;
  /**
   * Not sent: the ILS stopped answering (or the session ended) before this loan's turn. Nothing
   * changed at the ILS; renewing the patron's loans again tries it.
   */
  notTried?: boolean;
  screenMessages: string[];
}

export type SessionEndReason = 'ended' | 'cancelled' | 'timeout' | 'shutdown';

export interface SessionView {
  id: string;
  mode: SessionMode;
  state: 'open' | 'ended';
  /** The RFID pad the session watches, if any. */
  pad: string | null;
  /** The scanner the session watches, if any: item barcodes scanned there are processed in it. */
  scanner: string | null;
  /** Items placed on the pad are processed as they arrive (otherwise on request, one by one). */
  auto: boolean;
  /** Checkout sessions: who is at the kiosk. Return sessions have no patron. */
  patron: SessionPatronView | null;
  items: SessionItemView[];
  /**
   * Tags on the pad that are no item the session can take — the memory could not be read, or it
   * holds no item id — while they lie there: that item is neither lent nor returned; the patron
   * takes it to the desk. `reason` is for staff.
   */
  unreadableTags: Array<{ uid: string; reason: string; ownerLibrary?: string }>;
  /** Every renewal asked in this session, in order, as each came back. */
  renewals: SessionRenewalView[];
  /**
   * The patron's loans being renewed one by one now: how many of how many are done (each result
   * joins `renewals` as it comes, with a `session` update). Absent when none are.
   */
  renewing?: { done: number; total: number };
  startedAt: string;
  lastActivityAt: string;
  /** When the session ends if nothing happens. */
  expiresAt: string;
  /**
   * How long until then, in ms, on Carrel's monotonic clock as the view was made (0 once ended): a
   * screen counts it down on its own monotonic clock (`performance.now()`), which a step of either
   * wall clock moves neither.
   */
  expiresInMs: number;
  /**
   * How long a session is kept with nothing happening (sessions.inactivityTimeoutSeconds), in ms:
   * what activity sets `expiresInMs` back to. Not `expiresAt` less `lastActivityAt`, which differ
   * by any step NTP made of the desk clock since the last activity.
   */
  inactivityTimeoutMs: number;
  endedAt?: string;
  endReason?: SessionEndReason;
  /** Ended: why, in words a kiosk can show (a timeout says what still waited on the pad was not done). */
  endMessage?: string;
}

/** The data of the end-of-session receipt: the `checkout` or `checkin` template's input, for e-mail. */
export interface SessionReceiptData {
  template: 'checkout' | 'checkin';
  data: Record<string, unknown>;
}

export interface SessionEndResult {
  session: SessionView;
  /** What the ILS said to the end-session, when it was told. */
  ils: { ended: boolean; screenMessages: string[] } | { error: string } | null;
  receipt:
    | { kind: 'printed'; printer: string; job: PrintJobView }
    | ({ kind: 'data' } & SessionReceiptData)
    /** Printing was asked for but could not be queued: the data comes back so the kiosk can offer e-mail. */
    | ({ kind: 'print_failed'; error: { code: string; message: string } } & SessionReceiptData)
    | { kind: 'none' };
}

/** What a kiosk sends to open a session. */
export interface OpenSessionRequest {
  mode: SessionMode;
  /** The pad this kiosk watches. */
  pad?: string | undefined;
  /** Process items as they are placed (default true). */
  auto?: boolean | undefined;
  /** Checkout sessions: the patron by barcode (typed or scanned)… */
  patron?: string | undefined;
  /** …or by the patron card (ISO 28560 type of usage 8) lying on the pad… */
  patronCard?: boolean | undefined;
  /** …or by the patron's card or barcode just scanned at the session's scanner (used once). */
  patronScan?: boolean | undefined;
  /** The scanner this kiosk watches: item barcodes scanned there go to the session. */
  scanner?: string | undefined;
  pin?: string | undefined;
}

export interface EndSessionRequest {
  /** `print` on the desk's receipt printer, `data` to return the receipt (for e-mail), or `none`. */
  receipt: 'print' | 'data' | 'none';
  printer?: string | undefined;
}

/** A change the kiosk sees live. */
export type SessionUpdate =
  | { event: 'session'; data: SessionView }
  | { event: 'item'; data: SessionItemView }
  | { event: 'ended'; data: SessionView }
  /** The session was taken over by another screen: this screen's feed ends here. */
  | { event: 'moved'; data: { id: string } };

/** Who asks: the token's name. A session answers only to the terminal that opened it, and to staff. */
export interface SessionCaller {
  terminal: string;
  staff: boolean;
  /**
   * The kiosk screen asking (a page's own id, kept across its reloads), when it names one. A session
   * opened or taken over by a screen is acted on by that screen only; another one may read it, and
   * take it over. A caller that names no screen acts as before screens were known.
   */
  screen?: string | undefined;
}

export interface SessionService {
  open(request: OpenSessionRequest, caller: SessionCaller): Promise<SessionView>;
  /**
   * The answer to an opening sent again (its request id's): the session it opened as it is now,
   * or `session_ended` (with its id) once it has ended — never a second session.
   */
  openedAgain(id: string, caller: SessionCaller): SessionView;
  get(id: string, caller: SessionCaller): SessionView;
  list(caller: SessionCaller): SessionView[];
  /** Check out (or return) one item by barcode: a scanned item, an item waiting on the pad, or a fee accepted. */
  processItem(
    id: string,
    request: { item: string; feeAcknowledged?: boolean | undefined },
    caller: SessionCaller,
  ): Promise<SessionItemView>;
  /**
   * Renew one loan (`item`, 29); the patron's loans from before this session, one by one (29 each,
   * in the ILS's order; none named); or every loan at the ILS at once with Renew All (`all`, 65),
   * those borrowed in this session too.
   */
  renew(id: string, request: SessionRenewRequest, caller: SessionCaller): Promise<SessionRenewalView[]>;
  /**
   * The patron is still there (a kiosk's "I am still here"): the inactivity end is pushed back as by
   * any other activity. Reading the session does not count as activity.
   */
  keepAlive(id: string, caller: SessionCaller): SessionView;
  end(id: string, request: EndSessionRequest, caller: SessionCaller): Promise<SessionEndResult>;
  /** Ends without a receipt (the patron walked away, or pressed cancel). */
  cancel(id: string, caller: SessionCaller): Promise<SessionEndResult>;
  /**
   * The session is shown on the calling screen from now on (a kiosk page that came back after its
   * browser crashed, or staff moving it on purpose): refused while the screen holding it has its
   * feed connected (even under the caller's own id: a duplicated tab), unless `force`. The screen
   * that held it is told (`moved`) and may no longer act on it.
   */
  takeOver(id: string, request: { force?: boolean | undefined }, caller: SessionCaller): SessionView;
  /**
   * Live updates of one session; returns the unsubscribe. The feed of the screen holding the session
   * keeps it held; the feed of a screen it has moved from gets `moved` at once.
   */
  watch(id: string, caller: SessionCaller, listener: (update: SessionUpdate) => void): () => void;
}
