import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { statisticsOn } from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage.js';

const opened: Database[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
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
    expect(() => stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' })).toThrow(
      expect.objectContaining({ code: 'unavailable' }),
    );
    db = openDatabase(':memory:');
    opened.push(db);
    stats.record({ kind: 'checkout', terminal: 'k', outcome: 'ok' });
    expect(stats.query(range).rows).toEqual([
      { hour: '2026-03-10T09:00:00.000Z', outcome: 'ok', offline: false, count: 1 },
    ]);
    // a reopened database is migrated before use
    db = openDatabase(':memory:');
    opened.push(db);
    expect(stats.query(range).rows).toEqual([]);
    stats.record({ kind: 'checkin', terminal: 'k', outcome: 'ok' });
    expect(stats.query(range).rows).toHaveLength(1);
  });
});
