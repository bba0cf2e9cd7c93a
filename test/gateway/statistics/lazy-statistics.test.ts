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
});
