import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { DeskStatistics, StatisticsRangeError } from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 10, 9, 0, 0); // 2026-03-10T09:00Z

let db: Database | undefined;
let dir: string | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fresh(clock = new ManualClock(T0)) {
  db = openDatabase(':memory:');
  return { stats: new DeskStatistics(db, { clock }), clock, db };
}

const DAY = { from: '2026-03-10T00:00:00Z', to: '2026-03-11T00:00:00Z' };

describe('DeskStatistics.record', () => {
  it('counts into the UTC quarter hour of the clock, one row per key', async () => {
    const { stats, clock, db } = fresh();
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' });
    await clock.advance(14 * 60_000 + 59_999); // 09:14:59.999, same quarter
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' });
    await clock.advance(1); // 09:15:00.000
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' });
    expect(stats.query({ ...DAY, groupBy: ['quarter'] }).rows).toEqual([
      { quarter: '2026-03-10T09:00:00.000Z', outcome: 'ok', offline: false, count: 2 },
      { quarter: '2026-03-10T09:15:00.000Z', outcome: 'ok', offline: false, count: 1 },
    ]);
    expect(stats.query({ ...DAY, groupBy: ['hour'] }).rows).toEqual([
      { hour: '2026-03-10T09:00:00.000Z', outcome: 'ok', offline: false, count: 3 },
    ]);
    expect((db.prepare('SELECT COUNT(*) AS n FROM desk_statistics').get() as { n: number }).n).toBe(2);
  });

  it('keeps an UPSERT count exact under many records with random keys', () => {
    const { stats } = fresh();
    const transaction = fc.record({
      kind: fc.constantFrom('checkout', 'checkin', 'renew'),
      terminal: fc.constantFrom('kiosk-1', 'kiosk-2', 'desk'),
      outcome: fc.constantFrom('ok' as const, 'refused' as const, 'failed' as const),
      reason: fc.constantFrom('patron_blocked', 'item_not_found'),
      offline: fc.boolean(),
      at: fc.integer({ min: T0, max: T0 + 30 * H - 1 }),
    });
    fc.assert(
      fc.property(fc.array(transaction, { minLength: 1, maxLength: 300 }), (transactions) => {
        db!.exec('DELETE FROM desk_statistics');
        const expected = new Map<string, number>();
        for (const { at, ...t } of transactions) {
          stats.record(t, at);
          const key = [Math.floor(at / H), t.terminal, t.kind, t.outcome, t.offline].join('|');
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        const report = stats.query({
          from: T0,
          to: T0 + 30 * H,
          groupBy: ['hour', 'terminal', 'kind'],
        });
        const actual = new Map(
          report.rows.map((r) => [
            [Date.parse(r.hour!) / H, r.terminal, r.kind, r.outcome, r.offline].join('|'),
            r.count,
          ]),
        );
        expect(actual).toEqual(expected);
        expect(report.rows.reduce((sum, r) => sum + r.count, 0)).toBe(transactions.length);
      }),
      { numRuns: 30 },
    );
  });

  it('persists counts in a file database across reopen, migrating once', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-stats-'));
    const file = path.join(dir, 'carrel.db');
    const first = openDatabase(file);
    new DeskStatistics(first).record({ kind: 'checkin', terminal: 'desk', outcome: 'ok' }, T0);
    first.close();
    db = openDatabase(file);
    const stats = new DeskStatistics(db);
    stats.record({ kind: 'checkin', terminal: 'desk', outcome: 'ok' }, T0 + 1000);
    expect(stats.query({ ...DAY, groupBy: ['kind'] }).rows).toEqual([
      { kind: 'checkin', outcome: 'ok', offline: false, count: 2 },
    ]);
  });

  it('stores only the reason of a refusal or failure, and cuts over-long labels', () => {
    const { stats } = fresh();
    stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok', reason: 'ignored' }, T0);
    stats.record({ kind: 'checkout', terminal: 'x'.repeat(500), outcome: 'refused', reason: 'r' }, T0);
    const rows = stats.query({ ...DAY, groupBy: ['terminal', 'reason'] }).rows;
    expect(rows).toEqual([
      { terminal: 'k', outcome: 'ok', offline: false, count: 1 },
      { terminal: 'x'.repeat(64), outcome: 'refused', reason: 'r', offline: false, count: 1 },
    ]);
  });
});

describe('DeskStatistics.query', () => {
  function desk() {
    const { stats } = fresh();
    const at = (hours: number) => T0 + hours * H + 17 * 60_000;
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, at(0));
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, at(0));
    stats.record({ kind: 'checkout', terminal: 'kiosk-2', outcome: 'ok', offline: true }, at(1));
    stats.record(
      { kind: 'checkout', terminal: 'kiosk-2', outcome: 'refused', reason: 'patron_blocked' },
      at(1),
    );
    stats.record({ kind: 'renew', terminal: 'kiosk-1', outcome: 'refused', reason: 'renewal_limit' }, at(15)); // 2026-03-11T00:17Z: the next day
    stats.record({ kind: 'checkin', terminal: 'desk', outcome: 'failed', reason: 'ils_timeout' }, at(15));
    return stats;
  }
  const TWO_DAYS = { from: '2026-03-10', to: '2026-03-12' };

  it('groups by day across midnight UTC', () => {
    expect(desk().query({ ...TWO_DAYS, groupBy: ['day'] }).rows).toEqual([
      { day: '2026-03-10', outcome: 'ok', offline: false, count: 2 },
      { day: '2026-03-10', outcome: 'ok', offline: true, count: 1 },
      { day: '2026-03-10', outcome: 'refused', offline: false, count: 1 },
      { day: '2026-03-11', outcome: 'failed', offline: false, count: 1 },
      { day: '2026-03-11', outcome: 'refused', offline: false, count: 1 },
    ]);
  });

  it('groups refusals by reason and keeps offline transactions apart', () => {
    const report = desk().query({ ...TWO_DAYS, groupBy: ['kind', 'reason'] });
    expect(report.groupBy).toEqual(['kind', 'reason']);
    expect(report.rows).toEqual([
      { kind: 'checkin', outcome: 'failed', reason: 'ils_timeout', offline: false, count: 1 },
      { kind: 'checkout', outcome: 'ok', offline: false, count: 2 },
      { kind: 'checkout', outcome: 'ok', offline: true, count: 1 },
      { kind: 'checkout', outcome: 'refused', reason: 'patron_blocked', offline: false, count: 1 },
      { kind: 'renew', outcome: 'refused', reason: 'renewal_limit', offline: false, count: 1 },
    ]);
  });

  it('puts dimensions in a fixed order whatever order they are asked in', () => {
    const report = desk().query({ ...TWO_DAYS, groupBy: ['terminal', 'hour', 'terminal'] });
    expect(report.groupBy).toEqual(['hour', 'terminal']);
    expect(report.rows[0]).toEqual({
      hour: '2026-03-10T09:00:00.000Z',
      terminal: 'kiosk-1',
      outcome: 'ok',
      offline: false,
      count: 2,
    });
  });

  it('filters by terminal, kind and outcome', () => {
    const stats = desk();
    expect(stats.query({ ...TWO_DAYS, groupBy: ['kind'], terminal: 'kiosk-2' }).rows).toEqual([
      { kind: 'checkout', outcome: 'ok', offline: true, count: 1 },
      { kind: 'checkout', outcome: 'refused', offline: false, count: 1 },
    ]);
    expect(stats.query({ ...TWO_DAYS, groupBy: ['terminal'], kind: 'renew' }).rows).toEqual([
      { terminal: 'kiosk-1', outcome: 'refused', offline: false, count: 1 },
    ]);
    const refused = stats.query({ ...TWO_DAYS, groupBy: ['reason'], outcome: 'refused' }).rows;
    expect(refused.map((r) => [r.reason, r.count])).toEqual([
      ['patron_blocked', 1],
      ['renewal_limit', 1],
    ]);
  });

  it('widens the range to whole hours and counts only hours that overlap it', () => {
    const stats = desk();
    const report = stats.query({
      from: '2026-03-10T10:30:00Z',
      to: '2026-03-10T10:45:00Z',
      groupBy: ['hour'],
    });
    expect(report.from).toBe('2026-03-10T10:00:00.000Z');
    expect(report.to).toBe('2026-03-10T11:00:00.000Z');
    expect(report.rows.reduce((n, r) => n + r.count, 0)).toBe(2);
    // Grouped by quarter hour, to whole quarters: 10:17's counts lie outside 10:30–10:45.
    const quarters = stats.query({
      from: '2026-03-10T10:30:00Z',
      to: '2026-03-10T10:45:00Z',
      groupBy: ['quarter'],
    });
    expect(quarters.from).toBe('2026-03-10T10:30:00.000Z');
    expect(quarters.rows).toEqual([]);
    // `to` is exclusive: an hour starting at `to` is not counted
    const before = stats.query({ from: '2026-03-10T00:00Z', to: '2026-03-10T10:00:00Z', groupBy: ['day'] });
    expect(before.rows).toEqual([{ day: '2026-03-10', outcome: 'ok', offline: false, count: 2 }]);
  });

  it('refuses inverted, empty, unreadable and over-long ranges with a typed error', () => {
    const stats = desk();
    const attempts = [
      { from: '2026-03-11', to: '2026-03-10' },
      { from: '2026-03-10', to: '2026-03-10' },
      { from: 'yesterday', to: '2026-03-10' },
      { from: Number.NaN, to: T0 },
      { from: '2025-01-01', to: '2026-01-03' },
    ];
    for (const range of attempts) {
      expect(() => stats.query({ ...range, groupBy: ['day'] })).toThrow(StatisticsRangeError);
    }
    try {
      stats.query({ from: '2025-01-01', to: '2026-01-03', groupBy: ['day'] });
    } catch (error) {
      expect(error).toMatchObject({ code: 'statistics_range_invalid' });
    }
    // exactly 366 days is allowed
    expect(stats.query({ from: '2025-03-10', to: '2026-03-11', groupBy: ['day'] }).rows).toHaveLength(3);
  });

  it('prunes hours before a cut-off', () => {
    const stats = desk();
    expect(stats.prune(Date.parse('2026-03-11'))).toBe(3); // rows, not transactions
    expect(stats.query({ ...TWO_DAYS, groupBy: ['day'] }).rows.map((r) => r.day)).toEqual([
      '2026-03-11',
      '2026-03-11',
    ]);
  });
});
