import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seed } from '../../bench/reports.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { DeviceAvailability } from '../../src/gateway/statistics/availability.js';
import { DeskStatistics } from '../../src/gateway/statistics/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';

const HOUR_MS = 3_600_000;

// The desk report bench seeds a year of statistics into the desk's own file and measures the
// report over it: its data must be what the statistics read, whatever their schema has become
// ('table desk_statistics has no column named hour' once the counts went per quarter hour).
describe("the desk report bench's year of statistics", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is read back by the desk statistics, every count of it', () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-reports-seed-'));
    const path = join(dir, 'carrel.db');
    const now = Date.UTC(2026, 11, 5, 12, 30);
    expect(seed(path, now, 2)).toBeGreaterThan(0);

    // Open hours 07–20 UTC on the two days before `now`: 10 terminals × 4 kinds, each counting
    // 1 + ((hour + terminal) mod 7), and one refused checkout an hour.
    const firstHour = Math.floor(now / HOUR_MS) - 48;
    let ok = 0;
    let refused = 0;
    for (let hour = firstHour; hour < firstHour + 48; hour++) {
      if (hour % 24 < 7 || hour % 24 > 20) continue;
      for (let t = 0; t < 10; t++) ok += 4 * (1 + ((hour + t) % 7));
      refused++;
    }

    const db = openDatabase(path);
    try {
      const report = new DeskStatistics(db).query({ from: firstHour * HOUR_MS, to: now, groupBy: [] });
      const total = (outcome: string) =>
        report.rows.filter((row) => row.outcome === outcome).reduce((sum, row) => sum + row.count, 0);
      expect(total('ok')).toBe(ok);
      expect(total('refused')).toBe(refused);

      // Ten devices watched every minute, each off for half of every 97th hour.
      const availability = new DeviceAvailability({
        database: () => db,
        devices: () => [],
        clock: systemClock,
        logger: silentLogger(),
        retentionDays: 400,
      }).measures();
      const minutes = { observed: 0, online: 0 };
      const wanted = new Set(['device.minutes_online', 'device.minutes_observed']);
      for (const row of availability.rows(firstHour * 4, (firstHour + 48) * 4, wanted, new Set(), 1))
        minutes[row.measure === 'device.minutes_online' ? 'online' : 'observed'] += row.value;
      let offline = 0;
      for (let hour = firstHour; hour < firstHour + 48; hour++) if (hour % 97 < 10) offline += 30;
      expect(minutes).toEqual({ observed: 48 * 60 * 10, online: 48 * 60 * 10 - offline });
    } finally {
      db.close();
    }
  });
});
