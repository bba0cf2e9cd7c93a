import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  DeskStatistics,
  MAX_RANGE_DAYS,
  STATISTICS_RETENTION_DAYS,
  StatisticsRetention,
} from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 10, 9, 0);

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function counted(stats: DeskStatistics, from: number, to: number): number {
  return stats.query({ from, to, groupBy: [] }).rows.reduce((sum, row) => sum + row.count, 0);
}

describe('StatisticsRetention', () => {
  it('keeps more than a year, so the same month last year can still be compared', () => {
    expect(STATISTICS_RETENTION_DAYS).toBeGreaterThan(MAX_RANGE_DAYS + 31);
  });

  it(`prunes at start and daily what is older than ${STATISTICS_RETENTION_DAYS} days; stops on stop`, async () => {
    db = openDatabase(':memory:');
    const clock = new ManualClock(T0);
    const stats = new DeskStatistics(db, { clock });
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, T0 - 2 * DAY);
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, T0);
    await clock.advance(STATISTICS_RETENTION_DAYS * DAY);
    const now = clock.now();
    stats.record({ kind: 'checkin', terminal: 'kiosk-1', outcome: 'ok' }, now);

    const retention = new StatisticsRetention({ statistics: stats, clock, logger: silentLogger() });
    retention.start();
    // At start: only what is past the retention went.
    expect(counted(stats, T0 - 3 * DAY, T0 - DAY)).toBe(0);
    expect(counted(stats, T0, T0 + DAY)).toBe(1);
    expect(clock.pending()).toContain('statistics-prune');

    await clock.advance(DAY + 1); // the next daily prune: T0's hour is now past the retention
    expect(counted(stats, T0, T0 + DAY)).toBe(0);
    expect(counted(stats, now, now + DAY)).toBe(1);

    retention.stop();
    expect(clock.pending()).not.toContain('statistics-prune');
  });

  it('logs and carries on when pruning fails', () => {
    const clock = new ManualClock(T0);
    const retention = new StatisticsRetention({
      statistics: {
        prune: () => {
          throw new Error('database is closed');
        },
      },
      clock,
      logger: silentLogger(),
    });
    expect(() => retention.start()).not.toThrow();
    expect(retention.prune()).toBe(0);
    retention.stop();
  });
});
