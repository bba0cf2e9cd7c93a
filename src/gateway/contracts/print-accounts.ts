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
  /** The staff token's name, when staff made it. */
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
