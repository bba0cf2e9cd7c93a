/**
 * How long the desk keeps its statistics. Counts are kept for 400 days: a
 * library compares a month with the same month last year, and a query may span
 * up to MAX_RANGE_DAYS (366), so a year-on-year comparison of any month still
 * finds last year's month whole. Older hours are forgotten by the one Retention
 * (src/gateway/retention.ts), named `statistics-prune`: one range DELETE on the
 * primary key.
 */

/** Statistics are kept this many days (a year and a month, with room to spare). */
export const STATISTICS_RETENTION_DAYS = 400;
