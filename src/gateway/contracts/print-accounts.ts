/**
 * Patron print accounts, as other workflows credit them: a payment at the desk
 * or at a payment kiosk tops up a patron's print credit. Money is integer minor
 * units with its currency (no floats). Every deposit is journaled durably
 * before it returns and is idempotent by `requestId`: the same request again
 * answers the first entry, never a second credit.
 */
export interface PrintAccountDeposit {
  /** Idempotency key: a retried request with the same id is the same deposit. */
  requestId: string;
  /** The patron's barcode. Never logged. */
  patron: string;
  /** Amount in minor units (cents), > 0. */
  amountMinor: number;
  /** ISO 4217, e.g. EUR; must be the account's currency. */
  currency: string;
  /** Where the money came from. */
  source: 'cash-desk' | 'payment-device' | 'ils-transfer' | 'adjustment';
  /** Who made it: the staff token's name, 'at this desk' on a desk without tokens. */
  staff?: string;
  /** A short reason for statements (no patron data). */
  note?: string;
}

export interface PrintAccountDepositResult {
  /** The ledger entry (the first one, when the request was a retry). */
  entryId: string;
  /** The account's balance after it, in minor units. */
  balanceMinor: number;
  currency: string;
  /** True when this request id had been deposited before and nothing new was credited. */
  repeated: boolean;
}

/** What a payment workflow needs of the print accounts: crediting one. */
export interface PrintAccountDeposits {
  /** Throws a CarrelError with a stable code: `print_account_currency_mismatch`, `amount_invalid`… */
  deposit(request: PrintAccountDeposit): PrintAccountDepositResult;
}

/** What a ledger entry records: money in (deposit, refund) is positive, money out (charge, payout) negative. */
export type PrintLedgerKind = 'deposit' | 'charge' | 'refund' | 'payout' | 'adjustment';

export interface PrintLedgerEntry {
  id: string;
  requestId: string;
  kind: PrintLedgerKind;
  /** Signed minor units: + into the account, − out of it. */
  amountMinor: number;
  currency: string;
  /** The account's balance after this entry. */
  balanceMinor: number;
  source: string | null;
  staff: string | null;
  reason: string | null;
  queue: string | null;
  releaseId: string | null;
  pages: number | null;
  at: string;
}

export interface PrintAccountBalance {
  balanceMinor: number;
  currency: string;
}

export interface PrintAccountStatement extends PrintAccountBalance {
  /** Newest first. */
  entries: PrintLedgerEntry[];
}

/** What a job costs before it is released: impressions × the queue's tariff, less the free allowance left. */
export interface PrintQuote {
  impressions: number;
  /** Impressions the free allowance covers. */
  freeImpressions: number;
  /** The price before the allowance. */
  priceMinor: number;
  /** The value the free allowance covers. */
  freeMinor: number;
  /** What will be charged. */
  amountMinor: number;
  currency: string;
}

/** A held job as the station and staff see it. `patron` is given only to staff. */
export interface PrintJobView {
  queue: string;
  jobId: number;
  name: string;
  /** Pages of the document; null while counting or when they cannot be counted. */
  pages: number | null;
  copies: number;
  sides: string;
  color: boolean;
  media: string;
  /** ISO time the job arrived. */
  submittedAt: string;
  /** ISO time a held job is cancelled without charge. */
  expiresAt: string;
  state: string;
  quote: PrintQuote | null;
  /** Why it cannot be released now (pages unknown, printer in error…); null when it can. */
  problem: { code: string; message: string } | null;
  patron?: string | null;
  owner?: string;
}

export type PrintReleaseState = 'charged' | 'released' | 'completed' | 'refunded';

export interface PrintReleaseView {
  id: string;
  requestId: string;
  queue: string;
  jobId: number;
  jobName: string;
  impressions: number;
  amountMinor: number;
  refundedMinor: number;
  currency: string;
  state: PrintReleaseState;
  printedImpressions: number | null;
  outcome: string | null;
  at: string;
  updatedAt: string;
  patron?: string;
  /** A release at the printer not ended yet: how far the printer has got, as last heard. */
  printer?: PrintReleaseAtPrinter;
  /** A release the desk refunded the pages not printed of, cancelling the rest: what became of the rest. */
  restCancelled?: PrintReleaseRestCancelled;
  /** A release not settled whose print queue was taken out of the configuration: the desk cannot follow it. */
  notFollowed?: PrintReleaseNotFollowed;
}

/** Why the desk cannot follow a release to its end any more, and what staff do, in words. */
export interface PrintReleaseNotFollowed {
  /** print_queue_not_configured: its print queue is no longer in Carrel's configuration. */
  code: string;
  message: string;
}

/**
 * What became of the rest of a job the desk refunded the pages not printed of (the rest cancelled at
 * the print server), whatever the release's state now. Pages the printer printed after the refund,
 * before the print server stopped the job, are not charged: the desk's refund stands.
 */
export interface PrintReleaseRestCancelled {
  /** The pages the printer had printed, as the desk showed them, when the desk refunded the rest. */
  refundedAfter: number;
  /** Whether the printer has ended the job; until then Carrel asks the print server again to cancel the rest. */
  ended: boolean;
  /** The pages printed after the refund (as far as the print server said), once the job has ended; null until then. */
  printedAfterRefund: number | null;
  /** What was charged for those pages: nothing. */
  chargedAfterRefundMinor: number;
  /** In the desk's words. */
  message: string;
}

/** How far the printer has got with a released job it has not ended (a stopped printer holds it). */
export interface PrintReleaseAtPrinter {
  /** The job's IPP state: pending, processing or processing-stopped. */
  state: string;
  impressionsCompleted: number | null;
  /** In the desk's words. */
  message: string;
}

export interface PrintDailyReport {
  date: string;
  currency: string;
  deposits: { count: number; totalMinor: number; bySource: Record<string, number> };
  payouts: { count: number; totalMinor: number };
  refunds: { count: number; totalMinor: number };
  adjustments: { count: number; totalMinor: number };
  /** Per queue: charged, refunded and what stays as income, with the pages charged. */
  queues: Array<{
    queue: string;
    chargedMinor: number;
    refundedMinor: number;
    incomeMinor: number;
    impressions: number;
  }>;
}

/**
 * Print release and the print accounts, as the station and the staff use them.
 * Every money-moving request is idempotent by its `requestId`.
 */
export interface PrintAccountService extends PrintAccountDeposits {
  /**
   * Whether the library system knows a card (staff, before money is taken for it), and the patron's
   * name; `known: null` when it cannot be asked now (offline, no ILS).
   */
  cardAtLibrary(patron: string): Promise<{ known: boolean | null; name: string | null }>;
  /**
   * A top-up at the desk (staff): refused (`patron_not_found`) when the library system says it does
   * not know the card, the money going to nobody; taken when it cannot be asked (offline, no ILS),
   * the money being in staff's hand already. The same request id again is answered as the first was.
   */
  depositAtDesk(request: PrintAccountDeposit): Promise<PrintAccountDepositResult>;
  balance(patron: string): PrintAccountBalance;
  statement(patron: string, limit?: number): PrintAccountStatement;
  /**
   * The patron's held jobs on every queue, with pages, cost and what stops a release; with
   * `expiring` (staff) also those past their hold time the print server has not cancelled yet
   * (state `expired`, problem `print_job_expired`, no quote).
   */
  heldJobs(patron: string, options?: { releaseCode?: string; expiring?: boolean }): Promise<PrintJobView[]>;
  /** Every held job (staff): owners and patrons shown; expired ones not yet cancelled at the print server too. */
  allHeldJobs(): Promise<PrintJobView[]>;
  /**
   * Charges, then releases one held job, as one journaled step. The same request id again is
   * answered as the first was — the release, or its refusal — and `onReplay` is called.
   */
  release(request: {
    requestId: string;
    patron: string;
    queue: string;
    jobId: number;
    releaseCode?: string;
    onReplay?: () => void;
  }): Promise<PrintReleaseView>;
  releases(options: { patron?: string; limit?: number }): PrintReleaseView[];
  /** Staff: a full (no amount) or partial refund of a released job. */
  refund(request: {
    requestId: string;
    releaseId: string;
    amountMinor?: number;
    reason: string;
    staff: string;
    /** Called when the request id's refund was made before and is answered again. */
    onReplay?: () => void;
  }): Promise<PrintReleaseView>;
  /** Staff: pays the whole balance out (closing the account). */
  payout(request: {
    requestId: string;
    patron: string;
    staff: string;
    reason?: string;
    amountMinor?: number;
    /** Called when the request id's payout was made before and is answered again. */
    onReplay?: () => void;
  }): Promise<PrintLedgerEntry>;
  /** Staff: a correction with a reason; negative takes money out. */
  adjust(request: {
    requestId: string;
    patron: string;
    amountMinor: number;
    currency: string;
    reason: string;
    staff: string;
    /** Called when the request id's correction was made before and is answered again. */
    onReplay?: () => void;
  }): Promise<PrintLedgerEntry>;
  dailyReport(date: string): PrintDailyReport;
  /** The ledger per UTC quarter hour, kind, queue, source and currency over [from, to) (statistics; no patron). */
  ledgerQuarters(from: number, to: number): PrintLedgerQuarterRow[];
  /** Releases per UTC quarter hour, queue and colour over [from, to): jobs and pages printed (statistics; no patron). */
  releaseQuarters(from: number, to: number): PrintReleaseQuarterRow[];
  /**
   * Page one of a held job as a PNG; undefined when it cannot be drawn, or is not the patron's (a
   * release-code queue's job: not without its code).
   */
  thumbnail(
    queue: string,
    jobId: number,
    patron?: string,
    options?: { releaseCode?: string },
  ): Promise<Buffer | undefined>;
}

/** A patron logged in at a release station: the session the station holds instead of the PIN. */
export interface StationLogin {
  session: string;
  /** The patron's name as the ILS gives it, for the station's greeting. */
  name: string;
  balance: PrintAccountBalance;
}

/** Logging in and out at a release station (card number and PIN, checked over SIP2). */
export interface PrintStationLogins {
  /** By card number, or by the patron card on an RFID pad (`pad`); with the PIN when the ILS wants one. */
  stationLogin(request: { patron?: string; pad?: string; pin?: string }): Promise<StationLogin>;
  /** The patron of a live station session; `station_session_expired` otherwise. */
  stationPatron(session: string): string;
  stationLogout(session: string): void;
}

/** One quarter hour of the releases, summed: no account, only what was printed where. */
export interface PrintReleaseQuarterRow {
  /** The UTC quarter hour, as quarter hours since the epoch. */
  quarter: number;
  queue: string;
  /** `colour` or `mono`; '' for releases from before the colour was kept. */
  colour: 'colour' | 'mono' | '';
  /** Jobs released, free ones included. */
  jobs: number;
  /** Pages (impressions) printed: as counted by the printer when it said, else as charged; none for a job refunded unprinted. */
  pages: number;
}

/** One quarter hour of the print ledger, summed: no account, only what kind of money moved where. */
export interface PrintLedgerQuarterRow {
  /** The UTC quarter hour, as quarter hours since the epoch. */
  quarter: number;
  kind: 'deposit' | 'charge' | 'refund' | 'payout' | 'adjustment';
  /** The queue of a charge or refund; '' otherwise. */
  queue: string;
  /** Where a deposit came from (cash-desk, payment, …); '' otherwise. */
  source: string;
  currency: string;
  entries: number;
  /** Signed as booked: money in positive, money out negative. */
  amountMinor: number;
  /** Pages charged (charges), or refunded (refunds, where recorded). */
  pages: number;
}

/** A transfer of a patron's credit at the ILS into their print account, as it ended. */
export interface IlsTransferResult {
  transferId: string;
  requestId: string;
  amountMinor: number;
  currency: string;
  /** The ledger's deposit (source `ils-transfer`). */
  entryId: string;
  /** The ILS's id of the debit that took the credit there. */
  ilsDebitId: string;
  /** The print account's balance now. */
  balanceMinor: number;
  /** True when this request id had been transferred before and nothing new moved. */
  repeated: boolean;
}

/**
 * Moving a patron's credit at the ILS into their print account, where the
 * library configured an ILS account API. Idempotent by `requestId`: a retry
 * answers the first transfer (or its failure) and never debits the ILS twice.
 * Throws a CarrelError: `ils_transfer_unavailable` (none configured),
 * `ils_patron_not_found`, `ils_credit_insufficient`, `ils_account_unreachable`,
 * `ils_account_refused`, `ils_transfer_pending` (the ILS's answer was lost: it
 * is looked up and completed or failed later), `amount_invalid`…
 */
export interface PrintIlsTransfers {
  transferFromIls(request: {
    requestId: string;
    patron: string;
    amountMinor: number;
    currency?: string;
    staff?: string;
  }): Promise<IlsTransferResult>;
  /** True when this desk can transfer ILS credit (an ILS account API is configured). */
  readonly ilsTransfersConfigured: boolean;
  /** Transfers, newest first: every one, one patron's, or those in one state. */
  ilsTransfers(options: { patron?: string; state?: IlsTransferState; limit?: number }): IlsTransferView[];
}

export type IlsTransferState = 'pending' | 'deposited' | 'failed';

/**
 * One transfer as staff see it: `pending` while the ILS's answer is awaited or
 * was lost (it is settled by asking the ILS), `deposited` once the credit is
 * in the print account, `failed` with the reason (nothing moved).
 */
export interface IlsTransferView {
  transferId: string;
  requestId: string;
  patron: string;
  amountMinor: number;
  currency: string;
  state: IlsTransferState;
  /** The ILS's debit, once known. */
  ilsDebitId: string | null;
  /** The print ledger's deposit, once deposited. */
  entryId: string | null;
  failure: { code: string; message: string } | null;
  staff: string | null;
  createdAt: string;
  updatedAt: string;
}
