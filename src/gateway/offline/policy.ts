import { z } from 'zod';
import { OFFLINE_SETTLED_RETENTION_DAYS } from './retention.js';

/**
 * When the desk may keep lending while the ILS cannot be reached. Offline
 * circulation is the library's decision (a blocked patron can walk out with a
 * book), so it is off until the config turns it on.
 */
export const offlinePolicySchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Accept checkouts while offline. */
  checkouts: z.boolean().default(true),
  /** Accept checkins while offline. */
  checkins: z.boolean().default(true),
  /** Checkouts one patron may have waiting for replay; 0 refuses every offline checkout. */
  maxCheckoutsPerPatron: z.number().int().min(0).default(10),
  /** Transactions the journal may hold waiting for replay or for staff (pending, replaying, conflict). */
  maxTransactionsTotal: z.number().int().min(0).default(5000),
  /**
   * Days a settled transaction (replayed, or resolved by staff) stays in the journal for
   * staff to look back at; waiting ones and conflicts are never removed.
   */
  settledRetentionDays: z.number().int().min(1).max(3660).default(OFFLINE_SETTLED_RETENTION_DAYS),
});

export type OfflinePolicy = z.infer<typeof offlinePolicySchema>;
export type OfflinePolicyInput = z.input<typeof offlinePolicySchema>;
