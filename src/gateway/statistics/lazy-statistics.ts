import { type Clock, systemClock, type TimerHandle } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type {
  DeskTransaction,
  StatisticsDimension,
  StatisticsGrouping,
  StatisticsQuery,
  StatisticsReport,
  StatisticsService,
} from '../contracts/statistics.js';
import type { Database } from '../storage/index.js';
import { DeskStatistics } from './desk-statistics.js';

export interface StatisticsRecorder extends StatisticsService {
  record(transaction: DeskTransaction, at?: number): void;
  /** Writes the counts gathered since the last write. Throws `unavailable` while there is no database. */
  flush(): void;
}

const QUARTER_MS = 900_000;
/** Counts are written at most this long after they happen, all in one transaction. */
export const STATISTICS_FLUSH_MS = 1000;

/**
 * Statistics over a database that opens later (the storage feature opens it on
 * start): the table is migrated on first use, and again if the database is
 * reopened.
 *
 * Counting is off the circulation path: `record()` adds to a count in memory
 * (one per quarter hour, terminal, kind, outcome, reason and offline flag) and the
 * counts are written together once a second, in one transaction. A synchronous
 * write per checkout cost more than everything else Carrel does for it. A crash
 * loses at most the last second's counts — counts, not transactions: the ILS
 * and the offline journal hold those — and so does a power cut: the write has
 * relaxed durability (no fsync of its own; durable with the next full commit). `query()` writes what is pending first,
 * so a report always includes every count taken. While there is no database
 * the counts wait, and `query()` throws `unavailable` (a 503 over HTTP).
 */
export function statisticsOn(
  database: () => Database,
  options: {
    clock?: Clock;
    /** Told once counts were written (at most once a STATISTICS_FLUSH_MS): the recent days move. */
    written?: () => void;
  } = {},
): StatisticsRecorder {
  const clock = options.clock ?? systemClock;
  let db: Database | undefined;
  let statistics: DeskStatistics | undefined;
  const pending = new Map<string, { transaction: DeskTransaction; at: number; times: number }>();
  let timer: TimerHandle | undefined;

  const current = (): { db: Database; statistics: DeskStatistics } => {
    let now: Database;
    try {
      now = database();
    } catch (error) {
      throw new CarrelError('unavailable', 'statistics are not available: the database is not open', {
        cause: error,
      });
    }
    if (now !== db || !statistics) {
      statistics = new DeskStatistics(now, options);
      db = now;
    }
    return { db: now, statistics };
  };

  const flush = () => {
    timer?.cancel();
    timer = undefined;
    if (pending.size === 0) return;
    const target = current();
    const rows = [...pending.values()];
    // Counts, not transactions: their commit waits for no fsync. Under load a full commit every
    // second held the event loop, and every checkout in flight, for the disk's flush.
    target.db.relaxedDurability(() =>
      target.db.transaction(() => {
        for (const row of rows) target.statistics.record(row.transaction, row.at, row.times);
      }),
    );
    // Cleared only once written: counts taken while the database was away are kept for the next try.
    pending.clear();
    options.written?.();
  };

  const schedule = () => {
    timer ??= clock.setTimeout(
      'statistics-flush',
      () => {
        timer = undefined;
        try {
          flush();
        } catch {
          // No database (closing, or not open yet): the next count or query tries again.
        }
      },
      STATISTICS_FLUSH_MS,
    );
  };

  return {
    record: (transaction: DeskTransaction, at = clock.now()) => {
      const quarter = Math.floor(at / QUARTER_MS);
      const key = [
        quarter,
        transaction.terminal,
        transaction.kind,
        transaction.outcome,
        transaction.reason ?? '',
        transaction.offline ? 1 : 0,
      ].join('\u0000');
      const row = pending.get(key);
      if (row) row.times++;
      else pending.set(key, { transaction, at, times: 1 });
      schedule();
    },
    flush,
    query: <G extends StatisticsGrouping = StatisticsDimension>(
      request: StatisticsQuery<G>,
    ): StatisticsReport<G> => {
      flush();
      return current().statistics.query(request);
    },
  };
}
