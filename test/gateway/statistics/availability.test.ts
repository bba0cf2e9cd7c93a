import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { DeviceAvailability } from '../../../src/gateway/statistics/availability.js';
import { measureReport } from '../../../src/gateway/statistics/measures.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

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
  it('counts each device’s online minutes against the minutes it was watched, per hour', () => {
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

    expect(availability.prune(nine + 3_600_000)).toBe(2);
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
