import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../src/core/json-equal.js';

/** JSON with every object's keys in one order: equal texts mean the same JSON value. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

describe('jsonEqual', () => {
  it('says what comparing the two JSON texts says, key order aside, for any JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(jsonEqual(a, b)).toBe(canonical(a) === canonical(b));
        expect(jsonEqual(a, structuredClone(a))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('finds one value changed deep inside a health detail', () => {
    const detail = () => ({
      notificationLink: 'online',
      counts: { in: 3, out: 2 },
      lastAlarm: { id: 'a1', item: { id: '31000004', format: 'iso28560-3' }, direction: null },
      antennas: [1, 2],
    });
    expect(jsonEqual(detail(), detail())).toBe(true);
    const changed = detail();
    changed.lastAlarm.item.id = '31000005';
    expect(jsonEqual(detail(), changed)).toBe(false);
    const longer = detail();
    longer.antennas.push(3);
    expect(jsonEqual(detail(), longer)).toBe(false);
  });

  it('takes an undefined key as absent, a non-finite number and undefined in an array as null, as JSON does', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: undefined }, { a: null })).toBe(false);
    expect(jsonEqual({ rssi: Number.NaN }, { rssi: null })).toBe(true);
    expect(jsonEqual([undefined, 1], [null, 1])).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    expect(jsonEqual(null, undefined)).toBe(false);
  });

  it('compares a Date, or anything else not a plain object or array, by its JSON', () => {
    expect(jsonEqual({ at: new Date(0) }, { at: new Date(0) })).toBe(true);
    expect(jsonEqual({ at: new Date(0) }, { at: '1970-01-01T00:00:00.000Z' })).toBe(true);
    expect(jsonEqual({ at: new Date(0) }, { at: '1970-01-01T00:00:00.001Z' })).toBe(false);
    expect(jsonEqual(new Date(0), new Date(1))).toBe(false);
    expect(jsonEqual(new Map([[1, 2]]), new Map())).toBe(true); // both {} in JSON
  });
});
