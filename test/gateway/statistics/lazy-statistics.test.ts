import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { statisticsOn } from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const opened: Database[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('statisticsOn', () => {
  it('answers unavailable until the database opens, then migrates and counts on the clock', () => {
    let db: Database | undefined;
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 30));
    const stats = statisticsOn(
      () => {
        if (!db) throw new Error('storage is not open');
        return db;
      },
      { clock },
    );
    const range = { from: '2026-03-10', to: '2026-03-11', groupBy: ['hour' as const] };
    expect(() => stats.query(range)).toThrow(expect.objectContaining({ code: 'unavailable' }));
    // A count taken while there is no database waits for it.
    stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' });
    db = openDatabase(':memory:');
    opened.push(db);
    stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' });
    expect(stats.query(range).rows).toEqual([
      { hour: '2026-03-10T09:00:00.000Z', outcome: 'ok', offline: false, count: 2 },
    ]);
    // a reopened database is migrated before use
    db = openDatabase(':memory:');
    opened.push(db);
    expect(stats.query(range).rows).toEqual([]);
    stats.record({ kind: 'checkin', terminal: 'k', outcome: 'ok' });
    expect(stats.query(range).rows).toHaveLength(1);
  });

  it('writes the counts once a second, in one row per kind of count, not one write per transaction', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 30));
    const db = openDatabase(':memory:');
    opened.push(db);
    const stats = statisticsOn(() => db, { clock });
    const written = () =>
      db.prepare('SELECT kind, outcome, reason, count FROM desk_statistics ORDER BY kind, outcome').all();
    stats.query({ from: '2026-03-10', to: '2026-03-11', groupBy: ['kind'] }); // migrates the table
    for (let i = 0; i < 500; i++) stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' });
    stats.record({ kind: 'checkout', terminal: 'k', outcome: 'refused', reason: 'invalid_pin' });
    expect(written()).toEqual([]);
    expect(clock.pending()).toEqual(['statistics-flush']);
    await clock.advance(1000);
    expect(written()).toEqual([
      { kind: 'checkout', outcome: 'ok', reason: '', count: 500 },
      { kind: 'checkout', outcome: 'refused', reason: 'invalid_pin', count: 1 },
    ]);
    expect(clock.pending()).toEqual([]);
  });

  it('commits the counts without an fsync of their own (synchronous=NORMAL), leaving the database at FULL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-stats-'));
    try {
      const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 30));
      const db = openDatabase(join(dir, 'carrel.db'));
      opened.push(db);
      expect(db.pragmaValue('synchronous')).toBe(2);
      const levels: unknown[] = [];
      // The level the flush's transaction commits at, seen from inside it.
      const watched = new Proxy(db, {
        get(target, property, receiver) {
          if (property !== 'transaction') return Reflect.get(target, property, receiver);
          return <T>(work: () => T) =>
            target.transaction(() => {
              levels.push(target.pragmaValue('synchronous'));
              return work();
            });
        },
      });
      const stats = statisticsOn(() => watched, { clock });
      stats.query({ from: '2026-03-10', to: '2026-03-11', groupBy: ['kind'] }); // migrates the table
      levels.length = 0;
      stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' });
      await clock.advance(1000);
      expect(levels).toEqual([1]);
      expect(db.pragmaValue('synchronous')).toBe(2);
      expect(db.prepare('SELECT count FROM desk_statistics').all()).toEqual([{ count: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
