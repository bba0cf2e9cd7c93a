/**
 * Circulation in the library's own words: what a kiosk or desk client sees of
 * patrons, items, loans, holds and fees. No SIP2 field ids here; the ILS's own
 * text (due dates as it wrote them, screen messages) is kept beside the parsed value.
 */
import type { FeeType, PatronStatusFlag, PaymentType } from '../../protocols/sip2/index.js';
import type { CirculationKind, RefusalReason } from '../circulation/reasons.js';

/** A due date, hold expiry or pickup date: ISO 8601 when the ILS's text could be read, and that text. */
export interface IlsDate {
  /** ISO 8601 instant, or null when the ILS's text is not a date we can read. */
  date: string | null;
  /** What the ILS sent. */
  text: string;
}

export interface Money {
  /** Decimal as the ILS wrote it, e.g. `7.50`. */
  amount: string;
  currency: string | null;
}

export interface FeeView {
  /** The whole line as the ILS sent it. */
  text: string;
  id?: string;
  amount?: string;
  description?: string;
}

export interface LoanView {
  item: string;
  title?: string;
  dueDate?: IlsDate;
  overdue: boolean;
}

export interface HoldView {
  item: string;
  title?: string;
  /** When an available hold must be picked up by. */
  pickupBy?: IlsDate;
}

export interface PatronView {
  id: string;
  name: string;
  /** The ILS knows the patron (BL). */
  valid: boolean;
  /** The ILS said the PIN is right (CQ); false when no PIN was given or the ILS did not say. */
  pinValid: boolean;
  /** The patron may not borrow. */
  blocked: boolean;
  reasons: RefusalReason[];
  /** The patron-status flags that are set, by name. */
  statusFlags: PatronStatusFlag[];
  expires?: IlsDate;
  fines: { total: string; currency: string | null; limit?: string; items: FeeView[] };
  loans: LoanView[];
  holds: { available: HoldView[]; unavailable: HoldView[] };
  counts: {
    loans: number;
    overdue: number;
    holdsAvailable: number;
    holdsUnavailable: number;
    fines: number;
    recalls: number | null;
  };
  limits: { loans?: number; overdue?: number; holds?: number };
  screenMessages: string[];
}

export interface ItemView {
  id: string;
  title: string;
  /** Circulation status by name: available, charged, waitingOnHoldShelf, inTransit, missing… */
  status?: string;
  dueDate?: IlsDate;
  mediaType?: string;
  permanentLocation?: string;
  currentLocation?: string;
  holdQueueLength?: number;
  holdPickupDate?: IlsDate;
  fee?: Money & { type?: string };
  securityMarker?: string;
}

export interface CheckoutResult {
  ok: true;
  /** The item was already out to the patron and the checkout renewed it. */
  renewal: boolean;
  item: ItemView & { fee?: Money & { type?: string }; magneticMedia?: boolean; desensitize: boolean };
  screenMessages: string[];
  printLines: string[];
}

export type CheckinAlertType = 'hold' | 'hold_in_transit' | 'hold_ill' | 'transit' | 'other';

export interface CheckinResult {
  ok: true;
  item: ItemView & { magneticMedia?: boolean };
  sortBin?: string;
  alert?: { type: CheckinAlertType; message: string };
  resensitize: boolean;
  /** The item was not on loan (the ILS said so): returned all the same, it is on the shelf. */
  wasNotOnLoan?: true;
  screenMessages: string[];
  printLines: string[];
}

export interface RenewalResult {
  ok: true;
  item: ItemView;
  screenMessages: string[];
  printLines: string[];
}

export interface RenewAllResult {
  ok: true;
  renewed: string[];
  unrenewed: string[];
  screenMessages: string[];
  printLines: string[];
}

/** The patron's loans as the ILS lists them (63 with the charged items): barcodes, in its order. */
export interface PatronLoansResult {
  items: string[];
  /**
   * The patron status says renewal privileges denied (a blocked card, fines over the limit, renewals
   * suspended): no loan of hers can be renewed now, and asking each would only be refused. Why (the
   * reason a kiosk branches on) and the ILS's words; the list then stops at its first page.
   */
  renewalsDenied?: { reason: RefusalReason; screenMessages: string[] };
}

export interface HoldResult {
  ok: true;
  /** The item is on the shelf now. */
  available: boolean;
  item?: string;
  title?: string;
  queuePosition?: number;
  pickupLocation?: string;
  expires?: IlsDate;
  screenMessages: string[];
  printLines: string[];
}

export interface FeePaymentResult {
  accepted: true;
  transactionId?: string;
  /** The ILS's answer was lost and its fee list showed the payment taken: it was not sent again. */
  verifiedAfterLostAnswer?: true;
  /** The ILS could not be reached: the payment is in the offline journal and goes to the ILS when it is back. */
  offline?: { transaction: { id: string; sequence: number } };
  screenMessages: string[];
  printLines: string[];
}

export interface ItemInformationResult {
  item: ItemView;
  screenMessages: string[];
}

export interface EndSessionResult {
  ended: boolean;
  screenMessages: string[];
}

/**
 * A checkout or checkin taken while the ILS could not be reached and accepted
 * into the offline journal: it goes to the ILS when it is back. There is no due
 * date yet (the ILS sets it on replay).
 */
export interface OfflineAcceptance {
  ok: true;
  offline: true;
  /** The journal entry: staff find it under /api/v1/offline/transactions. */
  transaction: { id: string; sequence: number };
  item: { id: string };
  dueDate: null;
  screenMessages: string[];
}

/** A checkout as the API answers it: done by the ILS (offline false), or accepted offline. */
export type CheckoutAnswer = (CheckoutResult & { offline: false }) | OfflineAcceptance;

/** A checkin as the API answers it: done by the ILS (offline false), or accepted offline. */
export type CheckinAnswer = (CheckinResult & { offline: false }) | OfflineAcceptance;

/** Who is asking: the terminal (token name) for statistics, never the patron. */
export interface CirculationContext {
  terminal?: string;
}

/** One circulation request's outcome, for statistics. Carries no patron data. */
export interface CirculationTransaction {
  kind: CirculationKind;
  terminal: string;
  outcome: 'ok' | 'refused' | 'failed';
  /** The refusal reason, or the error code of a failure. */
  reason?: string;
  /** Taken into the offline journal while the ILS was away. */
  offline?: boolean;
}

export interface PatronRef {
  patron: string;
  pin?: string | undefined;
}

export interface CheckoutRequest extends PatronRef {
  item: string;
  feeAcknowledged?: boolean | undefined;
}

/** A renewal of one loan, or of them all: a fee it costs (a rental's next period) asked first, as a checkout's. */
export interface RenewalRequest extends PatronRef {
  feeAcknowledged?: boolean | undefined;
}

export interface HoldRequest extends PatronRef {
  item?: string | undefined;
  title?: string | undefined;
  pickupLocation?: string | undefined;
}

export interface FeePaymentRequest extends PatronRef {
  /** Decimal, e.g. `7.50`. */
  amount: string;
  feeId?: string | undefined;
  /** SIP2 fee type (BT); `other` when absent. */
  feeType?: FeeType | undefined;
  paymentType?: PaymentType | undefined;
  currency?: string | undefined;
  /** The payment's own id (BK), sent with it and kept with it if it is journaled offline. */
  transactionId?: string | undefined;
}

/**
 * Patrons, checkouts, checkins, renewals, holds and fees over the ILS, in the
 * library's words: what the API, sessions and other workflows call.
 */
export interface CirculationService {
  /**
   * Who the patron is, in one request (no loans or holds listed): for a kiosk
   * login. Strict: no valid-patron (BL Y), or a PIN given without a valid-password
   * answer (CQ Y), is a refusal.
   */
  identifyPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }>;
  lookUpPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }>;
  /** Who the patron is and the fees they owe (one 63 with fine items; no loans or holds): for a payment. */
  patronFees(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }>;
  checkout(request: CheckoutRequest, context?: CirculationContext): Promise<CheckoutAnswer>;
  checkin(request: { item: string }, context?: CirculationContext): Promise<CheckinAnswer>;
  renew(request: RenewalRequest & { item: string }, context?: CirculationContext): Promise<RenewalResult>;
  renewAll(request: RenewalRequest, context?: CirculationContext): Promise<RenewAllResult>;
  /**
   * The barcodes of every item the patron has on loan (63 with the charged-items summary, asked a
   * page at a time with BP/BQ), nothing looked up item by item: what a renewal of her loans works through.
   */
  patronLoans(request: PatronRef, context?: CirculationContext): Promise<PatronLoansResult>;
  placeHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult>;
  cancelHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult>;
  payFee(request: FeePaymentRequest, context?: CirculationContext): Promise<FeePaymentResult>;
  item(item: string, context?: CirculationContext): Promise<ItemInformationResult>;
  endSession(request: PatronRef, context?: CirculationContext): Promise<EndSessionResult>;
}
