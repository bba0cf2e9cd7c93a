import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageFeature } from '../../src/app/storage-feature.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { DeskStatistics, STATISTICS_RETENTION_DAYS } from '../../src/gateway/statistics/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);

let dir: string | undefined;
let storage: StorageFeature | undefined;
afterEach(async () => {
  await storage?.stop();
  storage = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('StorageFeature statistics retention', () => {
  it('prunes statistics past the retention when the database opens, daily after, and stops its timer on stop', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    const file = path.join(dir, 'carrel.db');
    // Counts left by earlier runs: one from 14 months ago, one from last week.
    const before = openDatabase(file);
    const earlier = new DeskStatistics(before);
    const counts = { kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' } as const;
    earlier.record(counts, NOW - (STATISTICS_RETENTION_DAYS + 20) * DAY);
    earlier.record(counts, NOW - 7 * DAY);
    before.close();

    const clock = new ManualClock(NOW);
    storage = new StorageFeature(file, silentLogger(), { clock });
    await storage.start();
    const stats = new DeskStatistics(storage.db, { clock });
    const total = () =>
      stats
        .query({ from: NOW - 365 * DAY, to: NOW + DAY, groupBy: [] })
        .rows.reduce((sum, row) => sum + row.count, 0);
    const oldest = () => stats.query({ from: NOW - 430 * DAY, to: NOW - 380 * DAY, groupBy: [] }).rows.length;
    expect(oldest()).toBe(0);
    expect(total()).toBe(1);

    await clock.advance((STATISTICS_RETENTION_DAYS - 7) * DAY + DAY);
    expect(stats.query({ from: NOW - 8 * DAY, to: NOW, groupBy: [] }).rows).toEqual([]);

    expect(clock.pending()).toContain('statistics-prune');
    await storage.stop();
    storage = undefined;
    expect(clock.pending()).not.toContain('statistics-prune');
  });

  it('keeps statistics for the configured number of days', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    const file = path.join(dir, 'carrel.db');
    const before = openDatabase(file);
    const earlier = new DeskStatistics(before);
    const counts = { kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' } as const;
    earlier.record(counts, NOW - 40 * DAY);
    earlier.record(counts, NOW - 20 * DAY);
    before.close();

    const clock = new ManualClock(NOW);
    storage = new StorageFeature(file, silentLogger(), { clock, statisticsRetentionDays: 30 });
    await storage.start();
    const stats = new DeskStatistics(storage.db, { clock });
    const days = stats.query({ from: NOW - 60 * DAY, to: NOW, groupBy: [] }).rows.map((row) => row.count);
    expect(days).toEqual([1]);
  });
});
