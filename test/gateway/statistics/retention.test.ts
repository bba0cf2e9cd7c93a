import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Retention } from '../../../src/gateway/retention.js';
import {
  DeskStatistics,
  MAX_RANGE_DAYS,
  STATISTICS_RETENTION_DAYS,
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

/** The statistics' pruning as the storage feature runs it. */
function statisticsRetention(forget: (before: number) => number, clock: ManualClock): Retention {
  return new Retention({
    name: 'statistics-prune',
    forget,
    retentionDays: STATISTICS_RETENTION_DAYS,
    clock,
    logger: silentLogger(),
  });
}

describe('statistics, pruned by Retention', () => {
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

    const retention = statisticsRetention((before) => stats.prune(before), clock);
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
    const retention = statisticsRetention(() => {
      throw new Error('database is closed');
    }, clock);
    expect(() => retention.start()).not.toThrow();
    expect(retention.purge()).toBe(0);
    retention.stop();
  });
});
