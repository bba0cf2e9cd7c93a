import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { circulationMeasures } from '../../../src/gateway/statistics/circulation-measures.js';
import { DeskStatistics, statisticsOn } from '../../../src/gateway/statistics/index.js';
import { type MeasurePeriod, measureReport } from '../../../src/gateway/statistics/measures.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

const MINUTE_MS = 60_000;
const checkout = { kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' as const };

/**
 * A desk's day in its reports is its own local day, midnight to midnight, in zones a half or a
 * quarter hour off UTC too: checkouts at 23:50 and 00:10 local time, counted through the
 * statistics the daemon records (batched, in a SQLite file) and read back as the report page
 * reads them, in the desk's own zone (TZ) and with the zone named.
 */
describe('the desk statistics cut into local days', () => {
  let dir: string;
  let db: Database;
  const savedTz = process.env.TZ;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-local-days-'));
    db = openDatabase(join(dir, 'carrel.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  /** Counts a checkout at each instant, on the desk's clock, as the daemon does. */
  function countAt(instants: readonly number[]) {
    const clock = new ManualClock(instants[0]);
    const statistics = statisticsOn(() => db, { clock });
    for (const at of instants) statistics.record(checkout, at);
    statistics.flush();
    return statistics;
  }

  function report(
    statistics: ReturnType<typeof countAt>,
    from: string,
    to: string,
    period: MeasurePeriod,
    timeZone?: string,
  ) {
    return measureReport([circulationMeasures(statistics)], {
      from: Date.parse(from),
      to: Date.parse(to),
      period,
      ...(timeZone ? { timeZone } : {}),
    }).rows.map((row) => [row.period, row.value]);
  }

  const zones = [
    // zone, local midnight of 15 January 2026 in UTC, and of the 16th
    { zone: 'Asia/Kolkata', midnight: '2026-01-14T18:30:00Z', next: '2026-01-15T18:30:00Z' }, // +05:30
    { zone: 'America/St_Johns', midnight: '2026-01-15T03:30:00Z', next: '2026-01-16T03:30:00Z' }, // −03:30
    { zone: 'Asia/Kathmandu', midnight: '2026-01-14T18:15:00Z', next: '2026-01-15T18:15:00Z' }, // +05:45
    { zone: 'Australia/Eucla', midnight: '2026-01-14T15:15:00Z', next: '2026-01-15T15:15:00Z' }, // +08:45
  ];

  for (const { zone, midnight, next } of zones)
    it(`counts 00:10 on the day it begins and 23:50 on the day before, in ${zone}`, () => {
      process.env.TZ = zone;
      const start = Date.parse(midnight);
      const statistics = countAt([start - 10 * MINUTE_MS, start + 10 * MINUTE_MS, start + 10 * MINUTE_MS]);
      for (const timeZone of [undefined, zone]) {
        // The 15th alone, as the report page asks for it: the two checkouts after midnight.
        expect(report(statistics, midnight, next, 'day', timeZone), timeZone ?? 'TZ').toEqual([
          ['2026-01-15', 2],
        ]);
        // The day before and the day: each has its own.
        const dayBefore = new Date(start - 86_400_000).toISOString();
        expect(report(statistics, dayBefore, next, 'day', timeZone)).toEqual([
          ['2026-01-14', 1],
          ['2026-01-15', 2],
        ]);
        // In local hours: 23 on the 14th, 00 on the 15th; in the heatmap, Wednesday 23 and Thursday 0.
        expect(report(statistics, dayBefore, next, 'hour', timeZone)).toEqual([
          ['2026-01-14T23', 1],
          ['2026-01-15T00', 2],
        ]);
        expect(report(statistics, dayBefore, next, 'weekday-hour', timeZone)).toEqual([
          ['3-23', 1],
          ['4-0', 2],
        ]);
      }
    });

  it('cuts days and hours in Berlin across both clock changes', () => {
    process.env.TZ = 'Europe/Berlin';
    const statistics = countAt([
      Date.parse('2026-03-28T22:50:00Z'), // Sat 28 March 23:50 CET
      Date.parse('2026-03-28T23:10:00Z'), // Sun 29 March 00:10 CET
      Date.parse('2026-03-29T01:10:00Z'), // 03:10 CEST: the clocks went from 02:00 to 03:00
      Date.parse('2026-03-29T21:50:00Z'), // 23:50 CEST
      Date.parse('2026-10-25T00:20:00Z'), // Sun 25 October 02:20 CEST
      Date.parse('2026-10-25T01:20:00Z'), // 02:20 CET, the hour again
      Date.parse('2026-10-25T22:50:00Z'), // 23:50 CET, the 25-hour day's last
      Date.parse('2026-10-25T23:10:00Z'), // Mon 26 October 00:10
    ]);
    for (const timeZone of [undefined, 'Europe/Berlin']) {
      expect(report(statistics, '2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z', 'day', timeZone)).toEqual([
        ['2026-03-28', 1],
        ['2026-03-29', 3],
      ]);
      expect(report(statistics, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 'hour', timeZone)).toEqual([
        ['2026-03-29T00', 1],
        ['2026-03-29T03', 1],
        ['2026-03-29T23', 1],
      ]);
      expect(report(statistics, '2026-10-24T22:00:00Z', '2026-10-26T23:00:00Z', 'day', timeZone)).toEqual([
        ['2026-10-25', 3],
        ['2026-10-26', 1],
      ]);
      expect(report(statistics, '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', 'hour', timeZone)).toEqual([
        ['2026-10-25T02', 2],
        ['2026-10-25T23', 1],
      ]);
    }
  });

  it('keeps every count a desk took per hour before, each in the hour it was counted', () => {
    // The schema as Carrel wrote it before: counts per UTC hour.
    migrate(db, 'statistics', [
      `CREATE TABLE desk_statistics (
        hour INTEGER NOT NULL,
        terminal TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        offline INTEGER NOT NULL DEFAULT 0,
        count INTEGER NOT NULL,
        PRIMARY KEY (hour, terminal, kind, outcome, reason, offline)
      ) WITHOUT ROWID`,
    ]);
    const hour = (iso: string) => Date.parse(iso) / 3_600_000;
    const insert = db.prepare(
      'INSERT INTO desk_statistics (hour, terminal, kind, outcome, reason, offline, count) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run(hour('2026-01-15T09:00:00Z'), 'kiosk-1', 'checkout', 'ok', '', 0, 40);
    insert.run(hour('2026-01-15T09:00:00Z'), 'kiosk-1', 'checkout', 'refused', 'patron_blocked', 0, 3);
    insert.run(hour('2026-01-15T10:00:00Z'), 'desk-1', 'checkin', 'ok', '', 1, 7);
    db.close();

    // The next Carrel opens the file and counts on.
    db = openDatabase(join(dir, 'carrel.db'));
    const statistics = new DeskStatistics(db, { clock: new ManualClock(Date.parse('2026-01-15T10:20:00Z')) });
    statistics.record({ kind: 'checkin', terminal: 'desk-1', outcome: 'ok', offline: true });
    const range = { from: '2026-01-15T00:00:00Z', to: '2026-01-16T00:00:00Z' };
    expect(statistics.query({ ...range, groupBy: ['hour', 'kind', 'reason'] }).rows).toEqual([
      { hour: '2026-01-15T09:00:00.000Z', kind: 'checkout', outcome: 'ok', offline: false, count: 40 },
      {
        hour: '2026-01-15T09:00:00.000Z',
        kind: 'checkout',
        outcome: 'refused',
        reason: 'patron_blocked',
        offline: false,
        count: 3,
      },
      { hour: '2026-01-15T10:00:00.000Z', kind: 'checkin', outcome: 'ok', offline: true, count: 8 },
    ]);
  });
});
