import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import {
  circulationMeasures,
  terminalChannels,
} from '../../../src/gateway/statistics/circulation-measures.js';
import { DeskStatistics } from '../../../src/gateway/statistics/index.js';
import { measureReport } from '../../../src/gateway/statistics/measures.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

const T0 = Date.parse('2026-11-16T09:30:00Z');

describe('circulation as measures', () => {
  const channelOf = terminalChannels({
    tokens: [
      { name: 'kiosk-1', scopes: ['kiosk'] },
      { name: 'desk-1', scopes: ['staff'] },
      { name: 'it', scopes: ['admin'] },
      { name: 'grafana', scopes: ['monitor'] },
    ],
    relayAccounts: [{ kioskUser: 'sc-3m-1' }],
  });

  it('tells self-service from the staffed desk by what the configuration says of each terminal', () => {
    expect(channelOf('kiosk-1')).toBe('self-service');
    expect(channelOf('sc-3m-1')).toBe('self-service');
    expect(channelOf('desk-1')).toBe('staff');
    expect(channelOf('it')).toBe('staff');
    expect(channelOf('grafana')).toBe('other');
    expect(channelOf('loopback')).toBe('other');
  });

  it('sums the desk statistics by channel, kind and outcome, however the terminals were counted', () => {
    const db = openDatabase(':memory:');
    const statistics = new DeskStatistics(db, { clock: new ManualClock(T0) });
    const count = (terminal: string, kind: string, outcome: 'ok' | 'refused', times: number, hours = 0) =>
      statistics.record(
        { terminal, kind, outcome, ...(outcome === 'refused' && { reason: 'patron_blocked' }) },
        T0 + hours * 3_600_000,
        times,
      );
    count('kiosk-1', 'checkout', 'ok', 5);
    count('sc-3m-1', 'checkout', 'ok', 3, 1);
    count('sc-3m-1', 'checkin', 'ok', 4, 2);
    count('desk-1', 'checkout', 'ok', 2);
    count('desk-1', 'checkout', 'refused', 1);
    count('loopback', 'renew', 'ok', 1);
    const source = circulationMeasures(statistics, channelOf);
    const range = { from: T0 - 86_400_000, to: T0 + 86_400_000, timeZone: 'UTC' };
    expect(
      measureReport([source], { ...range, period: 'total', groupBy: ['channel'], where: { outcome: 'ok' } })
        .rows,
    ).toEqual([
      { measure: 'circulation.transactions', dims: { channel: 'other' }, value: 1 },
      { measure: 'circulation.transactions', dims: { channel: 'self-service' }, value: 12 },
      { measure: 'circulation.transactions', dims: { channel: 'staff' }, value: 2 },
    ]);
    expect(
      measureReport([source], {
        ...range,
        period: 'day',
        groupBy: ['kind', 'outcome'],
        where: { channel: 'staff' },
      }).rows,
    ).toEqual([
      {
        measure: 'circulation.transactions',
        period: '2026-11-16',
        dims: { kind: 'checkout', outcome: 'ok' },
        value: 2,
      },
      {
        measure: 'circulation.transactions',
        period: '2026-11-16',
        dims: { kind: 'checkout', outcome: 'refused' },
        value: 1,
      },
    ]);
    // Summed over every terminal, the same total whichever dimensions were kept apart.
    const total = (groupBy: string[]) =>
      measureReport([source], { ...range, period: 'total', groupBy }).rows.reduce(
        (sum, row) => sum + row.value,
        0,
      );
    expect(
      new Set([total([]), total(['terminal']), total(['channel', 'reason']), total(['kind', 'offline'])]),
    ).toEqual(new Set([16]));
    db.close();
  });
});
