/**
 * How long the offline journal keeps transactions that are settled for good
 * (replayed into the ILS, or discarded by staff). Thirty days lets staff answer
 * "did my offline return go through?" after an outage, and no longer: the
 * journal holds patron ids, and what the ILS already has is the ILS's record,
 * not ours. Transactions still waiting (pending, replaying) or waiting for
 * staff (conflict) are never purged, however old. The purge itself is the one
 * Retention (src/gateway/retention.ts), named `offline-purge`.
 */

/** Settled offline transactions are kept this many days after they were settled. */
export const OFFLINE_SETTLED_RETENTION_DAYS = 30;
