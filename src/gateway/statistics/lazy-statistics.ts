import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Database } from '../storage.js';
import { DeskStatistics } from './desk-statistics.js';
import type { DeskTransaction, StatisticsPort, StatisticsQuery, StatisticsReport } from './types.js';

export interface DeskStatisticsPort extends StatisticsPort {
  record(transaction: DeskTransaction, at?: number): void;
}

/**
 * Statistics over a database that opens later (the storage feature opens it on
 * start): the table is migrated on first use, and again if the database is
 * reopened. While there is no database, both calls throw `unavailable`
 * (a 503 over HTTP); the circulation service already swallows a failed count.
 */
export function statisticsOn(database: () => Database, options: { clock?: Clock } = {}): DeskStatisticsPort {
  let db: Database | undefined;
  let statistics: DeskStatistics | undefined;
  const current = (): DeskStatistics => {
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
    return statistics;
  };
  return {
    record: (transaction: DeskTransaction, at?: number) => current().record(transaction, at),
    query: (request: StatisticsQuery): StatisticsReport => current().query(request),
  };
}
