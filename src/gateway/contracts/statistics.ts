/** What one counted transaction says: never a patron, only where, what and how it ended. */
export interface DeskTransaction {
  /** checkout, checkin, renew, renewAll, hold, … */
  kind: string;
  /** The terminal (token name or SIP2 relay login), never a patron. */
  terminal: string;
  outcome: 'ok' | 'refused' | 'failed';
  /** The refusal reason, or the error code of a failure. */
  reason?: string;
  /** Taken while the ILS was unreachable (store-and-forward). */
  offline?: boolean;
}

export const STATISTICS_DIMENSIONS = ['hour', 'day', 'terminal', 'kind', 'reason'] as const;
/** What counts can be grouped by over the API; `outcome` and `offline` are always kept apart. */
export type StatisticsDimension = (typeof STATISTICS_DIMENSIONS)[number];
/**
 * What the desk's own readers may group by besides: the UTC quarter hour, which the measures cut
 * into local hours and days (the API's `hour` and `day` are UTC).
 */
export type StatisticsGrouping = StatisticsDimension | 'quarter';

export interface StatisticsQuery<G extends StatisticsGrouping = StatisticsDimension> {
  /** Start of the range (inclusive), as epoch ms, a Date or an ISO 8601 string. */
  from: number | Date | string;
  /** End of the range (exclusive). */
  to: number | Date | string;
  /** With `quarter`, the range is widened to whole quarter hours, else to whole hours. */
  groupBy: readonly G[];
  terminal?: string;
  kind?: string;
  outcome?: DeskTransaction['outcome'];
}

export interface StatisticsRow {
  /** Start of the quarter hour, ISO 8601 UTC, when grouped by quarter. */
  quarter?: string;
  /** Start of the hour, ISO 8601 UTC, when grouped by hour. */
  hour?: string;
  /** The UTC day, YYYY-MM-DD, when grouped by day. */
  day?: string;
  terminal?: string;
  kind?: string;
  outcome: DeskTransaction['outcome'];
  /** When grouped by reason: the refusal reason or failure code (absent for `ok`). */
  reason?: string;
  offline: boolean;
  count: number;
}

export interface StatisticsReport<G extends StatisticsGrouping = StatisticsDimension> {
  /** The range actually counted, widened to whole UTC hours (quarter hours when grouped by quarter). */
  from: string;
  to: string;
  groupBy: G[];
  rows: StatisticsRow[];
}

/** What the API needs of the statistics. */
export interface StatisticsService {
  query<G extends StatisticsGrouping = StatisticsDimension>(request: StatisticsQuery<G>): StatisticsReport<G>;
}
