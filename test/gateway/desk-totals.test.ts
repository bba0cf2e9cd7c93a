import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { type DeskTotals, DeskTotalsFeature, recentDays } from '../../src/gateway/desk-totals.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import type { PortLookup } from '../../src/gateway/family.js';
import type { OfflineCounts } from '../../src/gateway/offline/journal.js';
import type { MeasureRow, MeasureSource } from '../../src/gateway/statistics/measures.js';

const HOUR_MS = 3_600_000;
/** Noon, local time, 20 November 2026: what "today" is in these tests. */
const NOON = new Date(2026, 10, 20, 12).getTime();
const quarterOf = (time: number) => Math.floor(time / (HOUR_MS / 4));

/** A desk's statistics as a source would yield them, rows added as a test goes. */
function source(rows: MeasureRow[]): MeasureSource {
  return {
    measures: [
      { name: 'circulation.transactions', summary: '', unit: 'count', dimensions: ['outcome'] },
      { name: 'gate.visitors_in', summary: '', unit: 'count', dimensions: ['gate'] },
    ],
    rows: () => rows,
  };
}

const noDevices: PortLookup = {
  port: () => {
    throw new Error('no devices');
  },
  all: () => [],
};

/** The desk totals over `rows` with no offline backlog and no devices; `onRead` hears each read of the rows (its first quarter hour). */
function totalsOver(
  clock: ManualClock,
  bus: EventBus,
  rows: MeasureRow[],
  onRead: (fromQuarter: number) => void,
) {
  const statistics = source(rows);
  return new DeskTotalsFeature({
    bus,
    clock,
    logger: silentLogger(),
    devices: noDevices,
    offline: {
      counts: () => ({ pending: 0, replaying: 0, conflict: 0, done: 0, discarded: 0, outstanding: 0 }),
    },
    measures: () => [
      {
        ...statistics,
        rows: (from, ...rest) => {
          onRead(from);
          return statistics.rows(from, ...rest);
        },
      },
    ],
  });
}

describe('the recent days in the desk totals', () => {
  it('counts the last 31 local days per headline measure, today last, and measures a desk lacks as 0', () => {
    const yesterday = new Date(2026, 10, 19, 9).getTime();
    const monthAgo = new Date(2026, 9, 21, 10).getTime(); // 30 days before today: the first day
    const tooOld = new Date(2026, 9, 20, 10).getTime();
    const recent = recentDays(
      [
        source([
          {
            quarter: quarterOf(NOON),
            measure: 'circulation.transactions',
            dims: { outcome: 'ok' },
            value: 5,
          },
          {
            quarter: quarterOf(NOON),
            measure: 'circulation.transactions',
            dims: { outcome: 'refused' },
            value: 2,
          },
          {
            quarter: quarterOf(yesterday),
            measure: 'circulation.transactions',
            dims: { outcome: 'ok' },
            value: 3,
          },
          { quarter: quarterOf(monthAgo), measure: 'gate.visitors_in', dims: { gate: 'exit-1' }, value: 40 },
          { quarter: quarterOf(tooOld), measure: 'gate.visitors_in', dims: { gate: 'exit-1' }, value: 99 },
        ]),
      ],
      NOON,
    );
    expect(recent.days).toHaveLength(31);
    expect(recent.days[0]).toBe('2026-10-21');
    expect(recent.days.at(-1)).toBe('2026-11-20');
    expect(recent.counts.transactions.slice(-2)).toEqual([3, 5]);
    expect(recent.counts.refusals.at(-1)).toBe(2);
    expect(recent.counts.visitors[0]).toBe(40);
    expect(recent.counts.visitors.reduce((a, b) => a + b)).toBe(40);
    expect(recent.counts.cards).toEqual(new Array(31).fill(0));
  });

  it('are read only when a row they count is written (at most once in 2 s), and published when they changed', async () => {
    const clock = new ManualClock(NOON);
    const bus = new EventBus();
    const published: DeskTotals[] = [];
    bus.on('desk.totals', published, (totals) => published.push(totals));
    const rows: MeasureRow[] = [];
    // Each read asks the source once per headline measure it keeps: counted once, by its time.
    const readAt = new Set<number>();
    const feature = totalsOver(clock, bus, rows, () => readAt.add(clock.monotonic()));
    await feature.start();
    try {
      expect(feature.current()?.recent?.counts.transactions.at(-1)).toBe(0);
      // An idle desk: ten minutes, and the statistics are not read once.
      readAt.clear();
      await clock.advance(10 * 60_000);
      expect(readAt.size).toBe(0);
      // A second's checkouts are written: the recent days are read at once, and published.
      rows.push({
        quarter: quarterOf(NOON),
        measure: 'circulation.transactions',
        dims: { outcome: 'ok' },
        value: 7,
      });
      bus.emit('statistics.changed', undefined);
      await clock.advance(1000);
      expect(feature.current()?.recent?.counts.transactions.at(-1)).toBe(7);
      expect(published.at(-1)?.recent?.counts.transactions.at(-1)).toBe(7);
      // A busy desk writes every second: read again once in 2 s, not each time.
      readAt.clear();
      for (let second = 0; second < 10; second++) {
        bus.emit('statistics.changed', undefined);
        await clock.advance(1000);
      }
      expect(readAt.size).toBe(5);
    } finally {
      await feature.stop();
    }
    expect(clock.pending()).toEqual([]);
  });

  it('read today alone after a write, and every day again at least every 10 minutes: a row for an earlier day shows within them', async () => {
    const clock = new ManualClock(NOON);
    const bus = new EventBus();
    const rows: MeasureRow[] = [];
    /** The first quarter hour each read asked for. */
    const asked: number[] = [];
    const feature = totalsOver(clock, bus, rows, (from) => asked.push(from));
    const midnight = new Date(2026, 10, 20).getTime();
    const checkouts = (at: number, value: number) =>
      rows.push({
        quarter: quarterOf(at),
        measure: 'circulation.transactions',
        dims: { outcome: 'ok' },
        value,
      });
    await feature.start();
    try {
      // At start: all 31 days.
      expect(Math.min(...asked)).toBeLessThan(quarterOf(midnight - 29 * 24 * HOUR_MS));
      // A busy desk: each read after a write asks for today alone.
      asked.length = 0;
      checkouts(NOON, 4);
      // An offline transaction of yesterday's, counted when it happened.
      checkouts(NOON - 24 * HOUR_MS, 3);
      bus.emit('statistics.changed', undefined);
      await clock.advance(2000);
      expect(asked.length).toBeGreaterThan(0);
      expect(Math.min(...asked)).toBeGreaterThanOrEqual(quarterOf(midnight) - 4);
      const transactions = () => feature.current()?.recent?.counts.transactions ?? [];
      expect(transactions().slice(-2)).toEqual([0, 4]);
      // Within ten minutes of writes, every day is read again: yesterday's shows.
      for (let second = 0; second < 10 * 60 + 2 && transactions().at(-2) === 0; second += 2) {
        bus.emit('statistics.changed', undefined);
        await clock.advance(2000);
      }
      expect(transactions().slice(-2)).toEqual([3, 4]);
    } finally {
      await feature.stop();
    }
  });

  it('leave the recent days out, and keep the rest, when the statistics cannot be read', async () => {
    const feature = new DeskTotalsFeature({
      bus: new EventBus(),
      clock: new ManualClock(NOON),
      logger: silentLogger(),
      devices: noDevices,
      offline: {
        counts: () => ({ pending: 1, replaying: 0, conflict: 0, done: 0, discarded: 0, outstanding: 1 }),
      },
      measures: () => [
        {
          measures: [{ name: 'gate.visitors_in', summary: '', unit: 'count', dimensions: [] }],
          rows: () => {
            throw new Error('no database');
          },
        },
      ],
    });
    await feature.start();
    expect(feature.current()).toMatchObject({ offlinePending: 1 });
    expect(feature.current()?.recent).toBeUndefined();
    await feature.stop();
  });
});

/**
 * An idle desk (nobody at the gates, the offline journal still) reads nothing for its totals: strace
 * of an idle daemon showed the offline journal and the gates' alarms counted every 5 s, each a read
 * transaction on the database, to find the same numbers.
 */
describe('the desk totals at an idle desk', () => {
  const counts = (pending: number): OfflineCounts => ({
    pending,
    replaying: 0,
    conflict: 0,
    done: 0,
    discarded: 0,
    outstanding: pending,
  });

  it('read nothing while nothing happens, and count a transaction as soon as the offline journal takes it', async () => {
    const clock = new ManualClock(NOON);
    const bus = new EventBus();
    const published: DeskTotals[] = [];
    bus.on('desk.totals', published, (totals) => published.push(totals));
    let pending = 0;
    let reads = 0;
    const feature = new DeskTotalsFeature({
      bus,
      clock,
      logger: silentLogger(),
      devices: noDevices,
      offline: {
        counts: () => {
          reads++;
          return counts(pending);
        },
      },
    });
    await feature.start();
    try {
      reads = 0;
      await clock.advance(5 * 60_000);
      expect(reads).toBe(0);
      pending = 1;
      bus.emit('offline.changed', undefined);
      await clock.advance(1000);
      expect(feature.current()?.offlinePending).toBe(1);
      expect(published.at(-1)?.offlinePending).toBe(1);
    } finally {
      await feature.stop();
    }
    expect(clock.pending()).toEqual([]);
  });

  it('start counting again at the turn of the local day, at its midnight', async () => {
    const clock = new ManualClock(NOON);
    const feature = new DeskTotalsFeature({
      bus: new EventBus(),
      clock,
      logger: silentLogger(),
      devices: noDevices,
      offline: { counts: () => counts(0) },
    });
    await feature.start();
    try {
      expect(feature.current()?.day).toBe('2026-11-20');
      await clock.advance(new Date(2026, 10, 21).getTime() - NOON + 1000);
      expect(feature.current()?.day).toBe('2026-11-21');
    } finally {
      await feature.stop();
    }
  });
});
