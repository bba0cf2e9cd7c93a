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

  it('refuses an instant no Date can hold, as toISOString does, and keeps working after', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(1)).toBe('1970-01-01T00:00:00.001Z');
  });
});
