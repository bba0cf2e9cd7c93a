import { describe, expect, it } from 'vitest';
import { resampledInterval } from '../../bench/resample.js';

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

describe('resampledInterval', () => {
  it('collapses to the figure when every unit is alike', () => {
    const units = Array.from({ length: 8 }, () => 1.25);
    expect(resampledInterval(units.length, (picked) => mean(picked.map((at) => units[at]!)))).toEqual([
      1.25, 1.25,
    ]);
  });

  it('brackets a mean as wide as the normal approximation says (±1.645 σ/√n)', () => {
    const units = Array.from({ length: 100 }, (_, i) => i);
    const [low, high] = resampledInterval(units.length, (picked) => mean(picked.map((at) => units[at]!)));
    const sigma = Math.sqrt(units.reduce((sum, v) => sum + (v - 49.5) ** 2, 0) / units.length);
    const halfWidth = (1.645 * sigma) / Math.sqrt(units.length);
    expect(low).toBeLessThan(49.5);
    expect(high).toBeGreaterThan(49.5);
    expect((high - low) / 2).toBeGreaterThan(halfWidth * 0.8);
    expect((high - low) / 2).toBeLessThan(halfWidth * 1.2);
  });

  it('is the same from run to run (a fixed seed), so two bench runs differ only by what they measured', () => {
    const units = [3, 1, 4, 1, 5, 9, 2, 6];
    const figure = (picked: readonly number[]) => Math.max(...picked.map((at) => units[at]!));
    expect(resampledInterval(units.length, figure)).toEqual(resampledInterval(units.length, figure));
  });
});
