import { z } from 'zod';
import { kohaRestAccountsSchema } from '../../devices/ils/koha-accounts-config.js';

/** How long a top-up at the desk waits for the ILS to say whether it knows the card, by default. */
export const DESK_CARD_CHECK_MS = 2_000;

/** The desk's print accounts: the currency they are kept in and the largest single amount. */
export const printAccountsSchema = z.strictObject({
  /** ISO 4217 code of every print account at this desk. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR'),
  /** No deposit, refund, payout or adjustment moves more than this many minor units at once. */
  maxAmountMinor: z.number().int().min(1).max(100_000_000).default(1_000_000),
  /**
   * How long a top-up at the desk waits for the library system to say whether it knows the card
   * (and the staff page's look-up of it). Staff hold the patron's cash meanwhile: an ILS that has
   * not answered by then is taken as offline, and the top-up is taken as it is then. A card the
   * ILS answers it does not know in time is refused.
   */
  deskCardCheckMs: z.number().int().min(100).max(30_000).default(DESK_CARD_CHECK_MS),
  /**
   * Deposits by transfer of a patron's credit at the ILS, through the ILS's own account API
   * (SIP2 cannot move credit out of the ILS). Off when absent. Koha's REST API is the one kind
   * so far; amounts go to the ILS in the print accounts' currency, with its own decimals (none
   * for JPY, three for KWD).
   */
  ilsTransfer: kohaRestAccountsSchema.optional(),
});
export type PrintAccountsConfig = z.infer<typeof printAccountsSchema>;
