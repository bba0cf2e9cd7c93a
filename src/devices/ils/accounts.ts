/**
 * The ILS's patron accounts, as the print accounts need them to move a
 * patron's credit out of the ILS: find the patron by card number, read the
 * credit, add a debit that names Carrel's request id, and find that debit
 * again after a crash. SIP2 cannot do this (37 Fee Paid only pays fees down),
 * so each ILS's own account API implements this port (koha-accounts.ts).
 * Money is integer minor units; the ILS's decimals stay in the adapter.
 */
import { CarrelError } from '../../core/errors.js';

export type IlsAccountErrorCode =
  /** The account API could not be reached, or did not answer in time. */
  | 'ils_account_unreachable'
  /** The account API answered with a refusal (authentication, permission, a bad request, a server error). */
  | 'ils_account_refused'
  /** The account API answered something that is not what it documents. */
  | 'ils_account_bad_answer'
  /** The ILS does not know this card number. */
  | 'ils_patron_not_found'
  /** The patron's credit at the ILS does not cover the amount. */
  | 'ils_credit_insufficient';

/**
 * A call to the ILS's account API that failed. `outcomeUnknown`: the request
 * may have reached the ILS and been carried out (a timeout or a lost
 * connection after sending, a server error) — a debit must be looked up, not
 * sent again.
 */
export class IlsAccountError extends CarrelError {
  readonly outcomeUnknown: boolean;

  constructor(
    override readonly code: IlsAccountErrorCode,
    message: string,
    options: { outcomeUnknown?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/** A patron as the ILS's account API knows them: its own id, never logged. */
export interface IlsAccountPatron {
  id: string;
}

/** A debit on the patron's ILS account. */
export interface IlsDebit {
  /** The ILS's id of the account line. */
  id: string;
  amountMinor: number;
  description: string;
}

export interface IlsAccounts {
  /** What kind of ILS API this is (`koha-rest`), for health and reports. */
  readonly kind: string;
  /** Throws `ils_patron_not_found` when the ILS does not know the card. */
  findPatron(cardNumber: string): Promise<IlsAccountPatron>;
  /** The credit the patron has at the ILS, net of what they owe (never negative), in minor units. */
  creditAvailable(patron: IlsAccountPatron): Promise<number>;
  /** Adds a debit naming `requestId` (so findDebit finds it). Not idempotent by itself: journal first. */
  addDebit(patron: IlsAccountPatron, debit: { amountMinor: number; requestId: string }): Promise<IlsDebit>;
  /** The debit addDebit made for `requestId`, or undefined when the ILS has none. */
  findDebit(patron: IlsAccountPatron, requestId: string): Promise<IlsDebit | undefined>;
}
