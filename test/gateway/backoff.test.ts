import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/gateway/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, noJitter))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('spreads delays by the jitter fraction either side', () => {
    const low = backoffDelay(2, DEFAULT_BACKOFF, () => 0);
    const high = backoffDelay(2, DEFAULT_BACKOFF, () => 0.999999);
    expect(low).toBe(800);
    expect(high).toBe(1200);
  });

  it('never exceeds the cap plus its jitter, even after many attempts', () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      expect(backoffDelay(attempt, DEFAULT_BACKOFF)).toBeLessThanOrEqual(6000);
    }
  });
});
