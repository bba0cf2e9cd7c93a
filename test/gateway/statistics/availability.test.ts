import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { AVAILABILITY_STEPS, DeviceAvailability } from '../../../src/gateway/statistics/availability.js';
import { type MeasurePeriod, measureReport } from '../../../src/gateway/statistics/measures.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

const DAY_MS = 86_400_000;

const state = (device: string, status: DeviceState['status']): DeviceState => ({
  device,
  kind: 'receipt-printer',
  status,
  since: new Date(0).toISOString(),
  reason: null,
  lastError: null,
  reconnects: 0,
  detail: {},
});

describe('device availability', () => {
  it('counts each device’s online minutes against the minutes it was watched', () => {
    const db = openDatabase(':memory:');
    let states = [state('receipt-1', 'online'), state('receipt-2', 'offline')];
    const availability = new DeviceAvailability({
      database: () => db,
      devices: () => states,
      clock: systemClock,
      logger: silentLogger(),
      retentionDays: 30,
    });
    const nine = Date.parse('2026-12-01T09:00:00Z');
    for (let minute = 0; minute < 60; minute++) {
      // receipt-1 runs out of paper for the last quarter of the hour; receipt-2 comes back at half past.
      states = [
        state('receipt-1', minute < 45 ? 'online' : 'degraded'),
        state('receipt-2', minute < 30 ? 'offline' : 'online'),
      ];
      availability.sample(nine + minute * 60_000);
    }
    // Carrel ran only 10 minutes of the next hour: receipt-1 still out of paper, receipt-2 online.
    for (let minute = 0; minute < 10; minute++) availability.sample(nine + 3_600_000 + minute * 60_000);

    const report = measureReport([availability.measures()], {
      from: nine,
      to: nine + 2 * 3_600_000,
      period: 'total',
      groupBy: ['device'],
    });
    const get = (measure: string, device: string) =>
      report.rows.find((r) => r.measure === measure && r.dims.device === device)?.value;
    expect(get('device.minutes_observed', 'receipt-1')).toBe(70);
    expect(get('device.minutes_online', 'receipt-1')).toBe(45);
    expect(get('device.minutes_observed', 'receipt-2')).toBe(70);
    expect(get('device.minutes_online', 'receipt-2')).toBe(40);

    // The first hour's four quarters, of each device.
    expect(availability.prune(nine + 3_600_000)).toBe(8);
    db.close();
  });

  it('skips a minute while the database is away, and never throws', () => {
    const availability = new DeviceAvailability({
      database: () => {
        throw new Error('storage is not open');
      },
      devices: () => [state('receipt-1', 'online')],
      clock: systemClock,
      logger: silentLogger(),
      retentionDays: 30,
    });
    expect(() => availability.sample()).not.toThrow();
    expect([...availability.measures().rows(0, 10, new Set(), new Set(), 4)]).toEqual([]);
  });
});

/**
 * A desk's availability report of a local day is that day's minutes, in zones a half hour off
 * UTC too: minutes sampled around local midnight into a SQLite file, read back as the report page
 * reads them (period day or hour, by device), in the desk's own zone (TZ) and with the zone named.
 */
describe('device availability cut into local days', () => {
  let dir: string;
  let file: string;
  let db: Database;
  const savedTz = process.env.TZ;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-availability-'));
    file = join(dir, 'carrel.db');
    db = openDatabase(file);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const watching = (devices: () => readonly DeviceState[]) =>
    new DeviceAvailability({
      database: () => db,
      devices,
      clock: systemClock,
      logger: silentLogger(),
      retentionDays: 400,
    });

  function report(
    availability: DeviceAvailability,
    from: number,
    to: number,
    period: MeasurePeriod,
    timeZone?: string,
  ) {
    return measureReport([availability.measures()], {
      from,
      to,
      period,
      groupBy: ['device'],
      ...(timeZone ? { timeZone } : {}),
    }).rows.map((row) => [
      row.period,
      row.dims.device,
      row.measure.replace('device.minutes_', ''),
      row.value,
    ]);
  }

  const zones = [
    // zone, local midnight of 15 January 2026 in UTC
    { zone: 'Asia/Kolkata', midnight: '2026-01-14T18:30:00Z' }, // +05:30
    { zone: 'America/St_Johns', midnight: '2026-01-15T03:30:00Z' }, // −03:30
    { zone: 'Europe/Berlin', midnight: '2026-01-14T23:00:00Z' }, // +01:00, read per hour
  ];

  for (const { zone, midnight } of zones)
    it(`counts the minutes before local midnight on the day before, and after it on the day, in ${zone}`, () => {
      process.env.TZ = zone;
      const start = Date.parse(midnight);
      // The receipt printer ran out of paper at midnight; Carrel watched it from 23:40 to 00:19.
      let status: DeviceState['status'] = 'online';
      const availability = watching(() => [state('receipt-1', status)]);
      for (let minute = -20; minute < 20; minute++) {
        status = minute < 0 ? 'online' : 'degraded';
        availability.sample(start + minute * 60_000 + 5_000);
      }
      for (const timeZone of [undefined, zone]) {
        // The 15th alone, as the report page asks for it: the 20 minutes after midnight, none online.
        expect(report(availability, start, start + DAY_MS, 'day', timeZone), timeZone ?? 'TZ').toEqual([
          ['2026-01-15', 'receipt-1', 'observed', 20],
        ]);
        expect(report(availability, start - DAY_MS, start + DAY_MS, 'day', timeZone)).toEqual([
          ['2026-01-14', 'receipt-1', 'observed', 20],
          ['2026-01-15', 'receipt-1', 'observed', 20],
          ['2026-01-14', 'receipt-1', 'online', 20],
        ]);
        expect(report(availability, start - DAY_MS, start + DAY_MS, 'hour', timeZone)).toEqual([
          ['2026-01-14T23', 'receipt-1', 'observed', 20],
          ['2026-01-15T00', 'receipt-1', 'observed', 20],
          ['2026-01-14T23', 'receipt-1', 'online', 20],
        ]);
      }
    });

  it('keeps every minute a desk counted per hour before, each hour in its first quarter', () => {
    // The schema as Carrel wrote it before: minutes per UTC hour.
    migrate(db, 'device-availability', AVAILABILITY_STEPS.slice(0, 1));
    const insert = db.prepare(
      'INSERT INTO device_minutes (hour, device, kind, observed, online) VALUES (?, ?, ?, ?, ?)',
    );
    const hour = (iso: string) => Date.parse(iso) / 3_600_000;
    insert.run(hour('2026-01-15T09:00:00Z'), 'receipt-1', 'receipt-printer', 60, 45);
    insert.run(hour('2026-01-15T09:00:00Z'), 'receipt-2', 'receipt-printer', 60, 40);
    insert.run(hour('2026-01-15T10:00:00Z'), 'receipt-1', 'receipt-printer', 10, 0);
    // 23:30–00:30 in India, the hour across its midnight.
    insert.run(hour('2026-01-14T18:00:00Z'), 'receipt-2', 'receipt-printer', 60, 60);
    db.close();

    // The next Carrel opens the file and counts on, receipt-1 back online: at 10:20, and at 23:50
    // and 00:10 in India, either side of its midnight.
    db = openDatabase(file);
    const availability = watching(() => [state('receipt-1', 'online')]);
    for (const at of ['2026-01-15T10:20:00Z', '2026-01-15T18:20:00Z', '2026-01-15T18:40:00Z'])
      availability.sample(Date.parse(at));
    const utcDays = { from: Date.parse('2026-01-14T00:00:00Z'), to: Date.parse('2026-01-16T00:00:00Z') };
    const counted = () => report(availability, utcDays.from, utcDays.to, 'total', 'UTC');
    const expected = [
      [undefined, 'receipt-1', 'observed', 73],
      [undefined, 'receipt-2', 'observed', 120],
      [undefined, 'receipt-1', 'online', 48],
      [undefined, 'receipt-2', 'online', 100],
    ];
    expect(counted()).toEqual(expected);
    expect(report(availability, utcDays.from, utcDays.to, 'hour', 'UTC')).toEqual([
      ['2026-01-14T18', 'receipt-2', 'observed', 60],
      ['2026-01-15T09', 'receipt-1', 'observed', 60],
      ['2026-01-15T09', 'receipt-2', 'observed', 60],
      ['2026-01-15T10', 'receipt-1', 'observed', 11],
      ['2026-01-15T18', 'receipt-1', 'observed', 2],
      ['2026-01-14T18', 'receipt-2', 'online', 60],
      ['2026-01-15T09', 'receipt-1', 'online', 45],
      ['2026-01-15T09', 'receipt-2', 'online', 40],
      ['2026-01-15T10', 'receipt-1', 'online', 1],
      ['2026-01-15T18', 'receipt-1', 'online', 2],
    ]);
    // In India: an hour kept before cannot be cut, it falls where it began (23:30 on the 14th); the
    // minutes counted since fall on their own day, 23:50 on the 15th and 00:10 on the 16th.
    const indiaMidnight = Date.parse('2026-01-14T18:30:00Z');
    expect(
      report(availability, indiaMidnight - DAY_MS, indiaMidnight + 2 * DAY_MS, 'day', 'Asia/Kolkata'),
    ).toEqual([
      ['2026-01-14', 'receipt-2', 'observed', 60],
      ['2026-01-15', 'receipt-1', 'observed', 72],
      ['2026-01-15', 'receipt-2', 'observed', 60],
      ['2026-01-16', 'receipt-1', 'observed', 1],
      ['2026-01-14', 'receipt-2', 'online', 60],
      ['2026-01-15', 'receipt-1', 'online', 47],
      ['2026-01-15', 'receipt-2', 'online', 40],
      ['2026-01-16', 'receipt-1', 'online', 1],
    ]);
    const version = () =>
      (
        db
          .prepare("SELECT MAX(version) AS v FROM schema_migrations WHERE component = 'device-availability'")
          .get() as { v: number }
      ).v;
    expect(version()).toBe(AVAILABILITY_STEPS.length);

    // Opened again (the next start): migrated once, nothing counted twice.
    db.close();
    db = openDatabase(file);
    const again = watching(() => []);
    expect(report(again, utcDays.from, utcDays.to, 'total', 'UTC')).toEqual(expected);
    expect(version()).toBe(AVAILABILITY_STEPS.length);
  });
});
