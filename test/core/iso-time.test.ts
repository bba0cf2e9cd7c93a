import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/core/iso-time.js';

describe('isoTime', () => {
  it('is what toISOString gives, for the same instant twice or a new one each time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -8.64e15, max: 8.64e15 }), { minLength: 1 }), (instants) => {
        for (const ms of [...instants, ...instants.toReversed(), instants[0]!, instants[0]!])
          expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it('is what toISOString gives for instants close together (within a minute, across a minute, a day, a year)', () => {
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(2026, 11, 31, 23, 58), max: Date.UTC(2027, 0, 1, 0, 2) }),
      fc.integer({ min: -120_000, max: 120_000 }),
      fc.integer({ min: 8.64e15 - 120_000, max: 8.64e15 }),
      fc.double({ min: 1.7e12, max: 1.7e12 + 120_000, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 50 }), (instants) => {
        for (const ms of instants) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an instant no Date can hold, as toISOString does, and keeps working after', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
    expect(isoTime(8.64e15)).toBe('+275760-09-13T00:00:00.000Z');
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(1)).toBe('1970-01-01T00:00:00.001Z');
  });
});

describe('isoTime within a minute', () => {
  it('formats each second and millisecond of a minute as toISOString does, before and after 1970', () => {
    for (const base of [
      Date.UTC(2026, 11, 3, 14, 25),
      0,
      -60_000,
      Date.UTC(-1, 0, 1),
      Date.UTC(12_000, 5, 1),
    ])
      for (let ms = base; ms < base + 60_000; ms += 7) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('cuts a fraction of a millisecond toward zero, as a Date does', () => {
    for (const ms of [1.7e12 + 0.9, -0.5, -1.5, 59_999.99, -60_000.4])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
