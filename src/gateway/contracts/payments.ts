/**
 * Paying at the desk and the kiosk: a payment session ties the money inserted
 * into a cash device to what it pays for — a patron's fees in the ILS, or a
 * print-account top-up — so that every coin is credited somewhere. Money is
 * integer minor units with its currency. A payment answers only to the terminal
 * that opened it, and to staff; it never shows the patron's barcode or PIN.
 */
import type { FeeType } from '../../protocols/sip2/index.js';

/** What is being paid. */
export type PaymentPurpose =
  /** Fees from the patron's account, by the ids the ILS lists them with. */
  | { kind: 'fees'; fees: string[] }
  /** Credit on the patron's print account. */
  | { kind: 'print-topup'; amountMinor: number };

export interface OpenPaymentRequest {
  /** The patron by barcode (typed or scanned)… */
  patron?: string | undefined;
  /** …or by the patron card on this pad. */
  patronCard?: boolean | undefined;
  pad?: string | undefined;
  pin?: string | undefined;
  purpose: PaymentPurpose;
  /** What the kiosk shows as due: checked against the fees (they may have changed). A top-up's is its amount. */
  amountDueMinor?: number | undefined;
  /** The cash devices to take money on; the configured ones when absent. */
  devices?: string[] | undefined;
}

/**
 * collecting: the devices take money; settling: the money is being applied
 * (37s to the ILS, a deposit); completed; cancelled (nothing was inserted).
 */
export type PaymentState = 'collecting' | 'settling' | 'completed' | 'cancelled';

/** How a line ended: posted to the ILS (or deposited), journaled to post later, refused, failed, or nothing to post. */
export type PaymentLineState =
  | 'pending'
  | 'posting'
  | 'posted'
  | 'journaled'
  | 'refused'
  | 'failed'
  | 'unpaid';

export interface PaymentLineView {
  kind: 'fee' | 'print-topup' | 'overpayment';
  feeId?: string;
  feeType?: FeeType;
  description?: string;
  /** What the line asks for. */
  dueMinor: number;
  /** What of the money inserted went to it. */
  paidMinor: number;
  state: PaymentLineState;
  /** The payment's id as the ILS got it (BK) or the deposit's request id. */
  transactionId: string;
  /** The ILS's words, or why it failed. */
  message?: string;
}

export interface PaymentCreditView {
  device: string;
  valueMinor: number;
  at: string;
}

/**
 * Money that may have gone in while the payment held a device but was not credited: events the
 * coin acceptor's buffer could no longer show (`events_lost`, no value known), one it showed after
 * such a jump (`event_counter_jump`), a note of a type with no value. Not in `paidMinor`: staff
 * count the cash box and settle it with the patron.
 */
export interface PaymentUncountedView {
  device: string;
  reason: 'events_lost' | 'event_counter_jump' | 'unknown_channel' | 'unknown_bill_type_stacked';
  /** What the device showed it to be worth, when it showed anything. */
  valueMinor?: number;
  at: string;
}

export interface PaymentView {
  id: string;
  state: PaymentState;
  purpose: PaymentPurpose['kind'];
  currency: string;
  /** Who pays: by name only. */
  patron: { name: string };
  amountDueMinor: number;
  paidMinor: number;
  remainingMinor: number;
  /** Money inserted beyond what was due. */
  overpaidMinor: number;
  /** Of the overpayment: what went to the print account, and what staff owe the patron back. */
  overpayment: { toPrintAccountMinor: number; owedToPatronMinor: number; paidOutMinor: number };
  lines: PaymentLineView[];
  credits: PaymentCreditView[];
  /** Money that may have gone in uncounted (empty: none); said to the patron, for staff to count. */
  uncounted: PaymentUncountedView[];
  devices: string[];
  /** The coin and note values the devices take now. */
  accepting: number[];
  /** Some of it could not reach the ILS now: it is journaled and goes when the ILS is back. */
  offline: boolean;
  startedAt: string;
  /** When the payment ends if no money comes. */
  expiresAt: string;
  endedAt?: string;
  endReason?: 'paid' | 'finished' | 'cancelled' | 'timeout' | 'shutdown';
  /** Staff checked its failed lines at the library system (or the print desk): what they found, who, when. */
  check?: PaymentCheckView;
  /** Cash staff handed back from what it owes the patron, oldest first (absent before the first). */
  payouts?: PaymentPayoutView[];
}

/** Cash handed back to the patron at the desk: how much, who (the token's name, never a patron), when. */
export interface PaymentPayoutView {
  amountMinor: number;
  by: string;
  at: string;
}

/**
 * What staff found when they checked a payment whose lines failed: the library system (or the print
 * account) has the money already, or they recorded it there by hand.
 */
export type PaymentCheckOutcome = 'already-recorded' | 'recorded-by-hand';

export interface PaymentCheckView {
  outcome: PaymentCheckOutcome;
  /** Staff's own short note, if they wrote one. */
  note?: string;
  /** Who checked: the name of the token they used (never a patron). */
  by: string;
  at: string;
}

/** The data of the payment receipt (the `payment` template), for printing or for e-mail. */
export interface PaymentReceiptData {
  template: 'payment';
  data: Record<string, unknown>;
}

export interface PaymentEndResult {
  payment: PaymentView;
  receipt: PaymentReceiptData;
}

export type PaymentUpdate =
  | { event: 'payment'; data: PaymentView }
  | {
      event: 'credit';
      data: PaymentCreditView & { currency: string; paidMinor: number; remainingMinor: number };
    }
  | { event: 'ended'; data: PaymentView };

export interface PaymentCaller {
  terminal: string;
  staff: boolean;
}

/** Payments per UTC hour: cash taken, fees paid by type, print top-ups. No patron data. */
export interface PaymentStatisticsRow {
  hour: string;
  currency: string;
  cashTakenMinor: number;
  /** The cash taken, by the device that took it (coin acceptor, note validator). */
  cashTakenByDeviceMinor: Record<string, number>;
  coins: number;
  notes: number;
  feesPaidMinor: Record<string, number>;
  topUpsMinor: number;
  payments: number;
}

export interface PaymentService {
  /**
   * `pinChecked`: the patron's PIN was checked by another workflow of this desk just before (a
   * release station's login), so a desk that requires the PIN does not ask it again.
   */
  open(
    request: OpenPaymentRequest,
    caller: PaymentCaller,
    options?: { pinChecked?: boolean },
  ): Promise<PaymentView>;
  get(id: string, caller: PaymentCaller): PaymentView;
  list(caller: PaymentCaller): PaymentView[];
  /** Ended payments that still owe the patron money (an excess, a fee the ILS refused, money read late), newest first. */
  owing(): PaymentView[];
  /**
   * Ended payments with a line that failed (money taken whose posting to the ILS, or deposit in
   * the print account, may or may not have happened), newest first: staff check the patron's account.
   */
  toCheck(): PaymentView[];
  /** No more money: settle with what was inserted (the fees in order, the last maybe in part). */
  finish(id: string, caller: PaymentCaller): Promise<PaymentEndResult>;
  /** The patron walked away: as finish, but with nothing inserted it is simply cancelled. */
  cancel(id: string, caller: PaymentCaller): Promise<PaymentEndResult>;
  /** The receipt's data of an ended payment (for the kiosk to show or e-mail). */
  receipt(id: string, caller: PaymentCaller): PaymentReceiptData;
  /** The receipt of an ended payment, printed on the desk's receipt printer (or the one named). */
  printReceipt(
    id: string,
    caller: PaymentCaller,
    printer?: string,
  ): Promise<{ printer: string; job: string }>;
  /** Staff paid an overpayment back from the desk's cash. */
  payOut(id: string, amountMinor: number, staff: string): PaymentView;
  /**
   * Staff checked a payment on the to-check list at the library system (or the print desk): recorded
   * with what they found and who did; it leaves the list, and its patron may be forgotten.
   */
  check(
    id: string,
    check: { outcome: PaymentCheckOutcome; note?: string | undefined },
    staff: string,
  ): PaymentView;
  watch(id: string, caller: PaymentCaller, listener: (update: PaymentUpdate) => void): () => void;
  /**
   * Per UTC hour over exactly [from, to); `perQuarter`: per UTC quarter hour instead (the measures
   * behind the reports, which cut local days in zones a half or quarter hour off UTC), each row's
   * `hour` then the quarter's start.
   */
  statistics(range: { from: number; to: number; perQuarter?: boolean }): PaymentStatisticsRow[];
}
