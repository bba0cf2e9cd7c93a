import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { FAILURE_REMINDER_MS, FailureStreak } from '../../src/core/failure-streak.js';

describe('FailureStreak', () => {
  it('says a failure when it starts, when it changes, and every ten minutes while it lasts', async () => {
    const clock = new ManualClock(0);
    const streak = new FailureStreak(clock);
    expect(streak.failed('econnrefused', 'refused')).toEqual({
      say: true,
      reminder: false,
      attempts: 1,
      since: 0,
    });
    await clock.advance(5000);
    expect(streak.failed('econnrefused', 'refused')).toMatchObject({ say: false, attempts: 2, since: 0 });
    await clock.advance(FAILURE_REMINDER_MS - 5000);
    expect(streak.failed('econnrefused', 'refused')).toEqual({
      say: true,
      reminder: true,
      attempts: 3,
      since: 0,
    });
    await clock.advance(5000);
    expect(streak.failed('econnrefused', 'refused').say).toBe(false);
    // Another error is news: said at once, a new streak.
    expect(streak.failed('ehostunreach', 'no route')).toEqual({
      say: true,
      reminder: false,
      attempts: 1,
      since: FAILURE_REMINDER_MS + 5000,
    });
    expect(streak.ended()).toEqual({ attempts: 1, since: FAILURE_REMINDER_MS + 5000 });
    expect(streak.ended()).toBeUndefined();
    expect(streak.failed('ehostunreach', 'no route').say).toBe(true);
  });
});
