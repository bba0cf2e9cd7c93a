import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { type VisitorDimension, visitorReport } from '../../../src/gateway/families/gate/across-gates.js';
import { gateVisitorsSchema } from '../../../src/gateway/families/gate/config.js';
import type { GatePort } from '../../../src/gateway/families/gate/port.js';
import { VisitorStore } from '../../../src/gateway/families/gate/visitor-store.js';
import {
  countedSince,
  GateVisitors,
  type VisitorSnapshot,
} from '../../../src/gateway/families/gate/visitors.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

/**
 * Visitors counted from a gate's people counter: every reading against the one before, in
 * 15-minute counts, on a clock the test moves (local times: the machine's zone). The gate is a
 * counter the test sets; `read()` hands its value back as the driver's counter event would.
 */
let dir: string | undefined;
const opened: Database[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** 2 December 2026, local time. */
const at = (hours: number, minutes = 0) => new Date(2026, 11, 2, hours, minutes).getTime();

function rig(config: Record<string, unknown> = {}, options: { clock?: ManualClock; file?: string } = {}) {
  const clock = options.clock ?? new ManualClock(at(8));
  const db = openDatabase(options.file ?? ':memory:');
  opened.push(db);
  const counter = { in: 0, out: 0 };
  const changes: Array<{ snapshot: VisitorSnapshot; reset: boolean }> = [];
  const calls = { reads: 0, resets: 0 };
  let failing: Error | undefined;
  const visitors: GateVisitors = new GateVisitors({
    gate: 'exit-1',
    config: gateVisitorsSchema.parse(config),
    clock,
    logger: silentLogger(),
    read: async () => {
      calls.reads++;
      if (failing) throw failing;
      visitors.take({ ...counter }, false);
    },
    reset: async () => {
      calls.resets++;
      visitors.take({ ...counter }, false);
      counter.in = 0;
      counter.out = 0;
      visitors.take({ ...counter }, true);
    },
    changed: (snapshot, reset) => changes.push({ snapshot, reset }),
  });
  visitors.start(db);
  /** People walk through the gate; the counter counts them. */
  const walk = (people: { in?: number; out?: number }) => {
    counter.in += people.in ?? 0;
    counter.out += people.out ?? 0;
  };
  const read = () => visitors.take({ ...counter }, false);
  return {
    clock,
    db,
    visitors,
    counter,
    walk,
    read,
    changes,
    calls,
    fail: (error?: Error) => {
      failing = error;
    },
  };
}

describe('counting from the readings of a people counter', () => {
  it('counts the difference from the reading before; a counter that went down counts again from zero', () => {
    const minute = 60_000;
    const people = (counted: { in: number; out: number }) => ({ ...counted, newCounter: false });
    expect(countedSince(undefined, { in: 500, out: 400 }, 0)).toEqual(people({ in: 0, out: 0 }));
    expect(countedSince({ in: 10, out: 8 }, { in: 15, out: 8 }, minute)).toEqual(people({ in: 5, out: 0 }));
    // Someone reset it, then three came in and one went out.
    expect(countedSince({ in: 10, out: 8 }, { in: 3, out: 1 }, minute)).toEqual(people({ in: 3, out: 1 }));
    // The counter's four bytes wrapped: 5 up to the top, 1 to zero, 4 since.
    expect(countedSince({ in: 4_294_967_290, out: 0 }, { in: 4, out: 0 }, minute)).toEqual(
      people({ in: 10, out: 0 }),
    );
  });

  it('counts nobody for a counter that jumped by more people than could have passed: another gate’s counter', () => {
    const minute = 60_000;
    // A gate replaced by one from stock that counted 250,000 elsewhere, read a minute later.
    expect(countedSince({ in: 120, out: 100 }, { in: 250_000, out: 249_000 }, minute)).toEqual({
      in: 0,
      out: 0,
      newCounter: true,
    });
    // Gone down to a count that cannot be since a reset a minute ago: another counter too.
    expect(countedSince({ in: 900_000, out: 5 }, { in: 400_000, out: 7 }, minute)).toEqual({
      in: 0,
      out: 2,
      newCounter: true,
    });
    // An hour offline at a busy exit: the 2,000 who came in meanwhile are counted when it reports.
    expect(countedSince({ in: 120, out: 100 }, { in: 2120, out: 2000 }, 60 * minute)).toEqual({
      in: 2000,
      out: 1900,
      newCounter: false,
    });
  });
});

describe('the visitors of a gate', () => {
  it('takes the first reading ever as the starting point, then counts in 15-minute counts', async () => {
    const { clock, visitors, walk, read } = rig();
    walk({ in: 120, out: 100 }); // counted before Carrel ever looked: not today's, not known when
    read();
    expect(visitors.snapshot()).toMatchObject({ today: { in: 0, out: 0 }, occupancy: 0 });
    walk({ in: 5, out: 2 });
    read();
    await clock.advance(20 * 60_000); // 08:20
    walk({ in: 3 });
    read();
    expect(visitors.snapshot()).toMatchObject({
      counter: { in: 128, out: 102 },
      today: { in: 8, out: 2 },
      occupancy: 6,
    });
    expect(visitors.counts?.report(at(8), at(9), 'none')).toEqual([{ in: 8, out: 2 }]);
    expect(visitors.counts?.sum(at(8), at(8, 15))).toEqual({ in: 5, out: 2 });
    expect(visitors.counts?.sum(at(8, 15), at(8, 30))).toEqual({ in: 3, out: 0 });
  });

  it('never counts negative nor twice when the counter is reset behind its back', () => {
    const { visitors, walk, read, counter } = rig();
    read();
    walk({ in: 10, out: 4 });
    read();
    counter.in = 0;
    counter.out = 0;
    walk({ in: 2, out: 3 });
    read();
    read();
    expect(visitors.snapshot()?.today).toMatchObject({ in: 12, out: 7 });
  });

  it('takes up from the last reading after a restart: nobody counted twice, nobody lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-visitors-'));
    const file = join(dir, 'carrel.db');
    const first = rig({}, { file });
    first.read();
    first.walk({ in: 7, out: 1 });
    first.read();
    first.visitors.stop();
    first.db.close();
    opened.splice(opened.indexOf(first.db), 1);
    // Carrel restarts; meanwhile two more came in.
    const again = rig({}, { file, clock: first.clock });
    again.counter.in = 9;
    again.counter.out = 1;
    again.read();
    again.read();
    expect(again.visitors.snapshot()?.today).toMatchObject({ in: 9, out: 1 });
  });

  it('floors the occupancy at zero: more out than in (the counter missed some) is an empty library', () => {
    const { visitors, walk, read } = rig();
    read();
    walk({ in: 2, out: 5 });
    read();
    expect(visitors.snapshot()).toMatchObject({ today: { in: 2, out: 5 }, occupancy: 0 });
  });

  it('counts the occupancy from the opening once the library has opened', async () => {
    const { clock, visitors, walk, read } = rig({ openingTime: '09:00' });
    read();
    walk({ in: 4 }); // staff, before opening
    read();
    expect(visitors.snapshot()).toMatchObject({ occupancy: 4, today: { in: 4 } });
    await clock.advance(60 * 60_000); // 09:00
    expect(visitors.snapshot()).toMatchObject({
      occupancy: 0,
      occupancySince: new Date(at(9)).toISOString(),
      today: { in: 4 },
    });
    walk({ in: 10, out: 3 });
    read();
    expect(visitors.snapshot()).toMatchObject({ occupancy: 7, today: { in: 14, out: 3 } });
  });

  it('starts a new counting day at the daily reset, the gate’s counter read and zeroed just before', async () => {
    const { clock, visitors, walk, read, counter, calls, changes } = rig({ dailyReset: '03:00' });
    read();
    walk({ in: 30, out: 25 });
    read();
    const turn = new Date(2026, 11, 3, 3).getTime();
    await clock.advance(turn - 2000 - at(8)); // 02:59:58 the next day
    walk({ in: 1 });
    expect(calls.resets).toBe(0);
    await clock.advance(1000); // 02:59:59: read, then zeroed
    expect(calls.resets).toBe(1);
    expect(counter).toEqual({ in: 0, out: 0 });
    expect(changes.at(-1)).toMatchObject({ reset: true, snapshot: { today: { in: 31, out: 25 } } });
    await clock.advance(1000); // 03:00: the day turns
    const since = new Date(turn).toISOString();
    expect(visitors.snapshot()).toMatchObject({ today: { in: 0, out: 0, since }, occupancy: 0 });
    expect(changes.at(-1)).toMatchObject({ snapshot: { today: { in: 0, since } } });
    // The one who came in just before the reset is counted in the day that ended.
    expect(visitors.counts?.sum(at(8), turn)).toEqual({ in: 31, out: 25 });
    walk({ in: 2 });
    read();
    expect(visitors.snapshot()?.today).toMatchObject({ in: 2, out: 0 });
  });

  it('turns the counting day when the desk clock says so, after NTP stepped it at boot', async () => {
    // A kiosk without an RTC battery boots at yesterday evening's time (8:00 here, a day late);
    // NTP steps it to the real time, 8:00 the next morning, a minute after Carrel started.
    const { clock, visitors, walk, read, calls } = rig({ dailyReset: '03:00', countIntervalSeconds: 0 });
    read();
    walk({ in: 5 });
    read();
    await clock.advance(60_000);
    clock.stepWallClock(24 * 3_600_000);
    await clock.advance(60_000);
    // The day turned at 03:00 on the desk clock: today counts from then, and the counter was zeroed.
    const since = new Date(new Date(2026, 11, 3, 3).getTime()).toISOString();
    expect(visitors.snapshot()).toMatchObject({ today: { in: 0, out: 0, since } });
    expect(calls.resets).toBe(1);
  });

  it('reads the counter every countIntervalSeconds, and stops when stopped', async () => {
    const { clock, db, visitors, walk, calls, changes } = rig({ countIntervalSeconds: 60 });
    /** The reading as the table holds it (the store keeps its own copy). */
    const written = () => db.prepare("SELECT at FROM gate_counter_readings WHERE gate = 'exit-1'").get();
    await clock.advance(60_000);
    expect(calls.reads).toBe(1);
    walk({ in: 1 });
    await clock.advance(60_000);
    expect(visitors.snapshot()?.today.in).toBe(1);
    const published = changes.length;
    const movedAt = visitors.counts?.lastReading()?.at;
    expect(written()).toEqual({ at: movedAt });
    await clock.advance(60_000); // nothing moved: nothing published, nothing written
    expect(changes.length).toBe(published);
    expect(visitors.counts?.lastReading()?.at).toBe(movedAt);
    expect(written()).toEqual({ at: movedAt });
    walk({ out: 1 });
    await clock.advance(60_000);
    expect(visitors.counts?.lastReading()).toMatchObject({ in: 1, out: 1, at: clock.now() });
    expect(written()).toEqual({ at: clock.now() });
    visitors.stop();
    await clock.advance(10 * 60_000);
    expect(calls.reads).toBe(4);
  });

  it('reads the counter of a gate connecting again unless read seconds before, whatever NTP does to the wall clock', async () => {
    const { clock, visitors, calls } = rig({ countIntervalSeconds: 3600 });
    await clock.advance(3_600_000);
    expect(calls.reads).toBe(1);
    // The gate comes back a minute after the hourly reading, the desk's clock stepped an hour back
    // meanwhile: its counter is read at once, not only at the next hourly reading.
    clock.stepWallClock(-3_600_000);
    await clock.advance(60_000);
    visitors.pollSoon();
    expect(calls.reads).toBe(2);
    // Stepped an hour forward, a gate back a second after it was read is not read again.
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    visitors.pollSoon();
    expect(calls.reads).toBe(2);
  });

  it('keeps polling through read failures', async () => {
    const { clock, calls, fail } = rig({ countIntervalSeconds: 5 });
    fail(Object.assign(new Error('gate not connected'), { code: 'unavailable' }));
    await clock.advance(15_000);
    fail(undefined);
    await clock.advance(5_000);
    expect(calls.reads).toBe(4);
  });
});

/**
 * The visitor statistics (`GET /api/v1/stats/visitors`) cut into the desk's own days, as its
 * measures are: a library in Los Angeles or Auckland counts a day from its local midnight to the
 * next, on the days the clocks change too (25 and 23 hours long). The counts are as the store
 * keeps them, in UTC quarter hours.
 */
describe('the visitor report in the desk’s time zone', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  /** A gate whose counts are people coming in at each instant (a number of them each). */
  function gateCounting(people: Record<string, number>) {
    const db = openDatabase(':memory:');
    opened.push(db);
    const store = new VisitorStore(db, 'exit-1');
    let counter = 0;
    for (const [iso, count] of Object.entries(people)) {
      counter += count;
      store.take({ in: counter, out: 0, at: Date.parse(iso) }, { in: count, out: 0 });
    }
    const port = { visitorCounts: store.report.bind(store) } as unknown as GatePort;
    return [{ id: 'exit-1', port }];
  }

  const report = (
    gates: ReturnType<typeof gateCounting>,
    from: string,
    to: string,
    groupBy: VisitorDimension[],
    timeZone?: string,
  ) =>
    visitorReport(gates, {
      from: Date.parse(from),
      to: Date.parse(to),
      groupBy,
      ...(timeZone ? { timeZone } : {}),
    });

  it('counts the 25 hours of the day the clocks go back in Los Angeles as one day', () => {
    process.env.TZ = 'America/Los_Angeles';
    const gates = gateCounting({
      '2026-11-01T06:59:00Z': 1, // 23:59 on 31 October
      '2026-11-01T07:30:00Z': 2, // 00:30 PDT
      '2026-11-01T08:30:00Z': 4, // 01:30 PDT
      '2026-11-01T09:30:00Z': 8, // 01:30 PST, the hour again
      '2026-11-02T07:30:00Z': 16, // 23:30 PST
      '2026-11-02T08:30:00Z': 32, // 00:30 on 2 November
    });
    for (const timeZone of [undefined, 'America/Los_Angeles']) {
      const days = report(gates, '2026-10-31T07:00:00Z', '2026-11-03T08:00:00Z', ['day'], timeZone);
      expect(days.rows, timeZone ?? 'TZ').toEqual([
        { day: '2026-10-31', in: 1, out: 0 },
        { day: '2026-11-01', in: 30, out: 0 },
        { day: '2026-11-02', in: 32, out: 0 },
      ]);
      expect(days.timeZone).toBe('America/Los_Angeles');
      // The two hours named 01:00 are two hours, each with its own.
      const hours = report(gates, '2026-11-01T08:00:00Z', '2026-11-01T10:00:00Z', ['day', 'hour'], timeZone);
      expect(hours.rows).toEqual([
        { hour: '2026-11-01T08:00:00.000Z', day: '2026-11-01', in: 4, out: 0 },
        { hour: '2026-11-01T09:00:00.000Z', day: '2026-11-01', in: 8, out: 0 },
      ]);
    }
  });

  it('counts the 23 hours of the day the clocks go forward in Auckland as one day', () => {
    process.env.TZ = 'Pacific/Auckland';
    const gates = gateCounting({
      '2026-09-26T11:30:00Z': 1, // 23:30 NZST on the 26th
      '2026-09-26T12:30:00Z': 2, // 00:30 NZST on the 27th
      '2026-09-27T10:30:00Z': 4, // 23:30 NZDT
      '2026-09-27T11:30:00Z': 8, // 00:30 NZDT on the 28th
    });
    for (const timeZone of [undefined, 'Pacific/Auckland']) {
      // The 27th alone, midnight to midnight, as a report page asks for a day.
      expect(
        report(gates, '2026-09-26T12:00:00Z', '2026-09-27T11:00:00Z', ['day', 'gate'], timeZone).rows,
        timeZone ?? 'TZ',
      ).toEqual([{ day: '2026-09-27', gate: 'exit-1', in: 6, out: 0 }]);
      expect(report(gates, '2026-09-26T00:00:00Z', '2026-09-28T00:00:00Z', ['day'], timeZone).rows).toEqual([
        { day: '2026-09-26', in: 1, out: 0 },
        { day: '2026-09-27', in: 6, out: 0 },
        { day: '2026-09-28', in: 8, out: 0 },
      ]);
    }
  });

  it('cuts the days in the zone a report names, whatever the desk’s own', () => {
    process.env.TZ = 'UTC';
    const gates = gateCounting({ '2026-09-26T12:30:00Z': 2, '2026-09-27T11:30:00Z': 8 });
    expect(
      report(gates, '2026-09-26T00:00:00Z', '2026-09-28T00:00:00Z', ['day'], 'Pacific/Auckland').rows,
    ).toEqual([
      { day: '2026-09-27', in: 2, out: 0 },
      { day: '2026-09-28', in: 8, out: 0 },
    ]);
    expect(report(gates, '2026-09-26T00:00:00Z', '2026-09-28T00:00:00Z', ['day']).rows).toEqual([
      { day: '2026-09-26', in: 2, out: 0 },
      { day: '2026-09-27', in: 8, out: 0 },
    ]);
  });

  it('cuts the hours of a zone a half hour off UTC at its own hours', () => {
    process.env.TZ = 'Asia/Kolkata';
    const gates = gateCounting({ '2026-01-14T18:20:00Z': 1, '2026-01-14T18:40:00Z': 2 }); // 23:50 and 00:10
    expect(report(gates, '2026-01-14T18:00:00Z', '2026-01-14T19:00:00Z', ['day', 'hour']).rows).toEqual([
      { hour: '2026-01-14T17:30:00.000Z', day: '2026-01-14', in: 1, out: 0 },
      { hour: '2026-01-14T18:30:00.000Z', day: '2026-01-15', in: 2, out: 0 },
    ]);
  });
});
