import { z } from 'zod';

/** The desk's print accounts: the currency they are kept in and the largest single amount. */
export const printAccountsSchema = z.strictObject({
  /** ISO 4217 code of every print account at this desk. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR'),
  /** No deposit, refund, payout or adjustment moves more than this many minor units at once. */
  maxAmountMinor: z.number().int().min(1).max(100_000_000).default(1_000_000),
});
export type PrintAccountsConfig = z.infer<typeof printAccountsSchema>;
