import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { StationLogins } from '../../../src/gateway/print-accounts/station-logins.js';

/**
 * A release station's login ends after two minutes without a request. The two minutes are time
 * that passed, not the wall clock's: NTP stepping the desk's clock (an hour back, a PC whose
 * hardware clock kept local time) must neither keep a patron who walked away logged in for an
 * hour — the next person would print on their account — nor log everyone out at once.
 */
describe('release station logins', () => {
  it('ends a login two minutes after its last request, the wall clock stepped an hour back meanwhile', async () => {
    const clock = new ManualClock();
    const logins = new StationLogins(clock);
    const session = logins.open('P1');
    await clock.advance(60_000);
    expect(logins.patron(session)).toBe('P1');
    clock.stepWallClock(-3_600_000);
    await clock.advance(120_001);
    expect(() => logins.patron(session)).toThrow(
      expect.objectContaining({ code: 'station_session_expired' }),
    );
  });

  it('keeps a login in use when the wall clock is stepped an hour forward', async () => {
    const clock = new ManualClock();
    const logins = new StationLogins(clock);
    const session = logins.open('P1');
    clock.stepWallClock(3_600_000);
    await clock.advance(30_000);
    expect(logins.patron(session)).toBe('P1');
    // A new login (which sweeps the old ones) keeps it too.
    logins.open('P2');
    expect(logins.patron(session)).toBe('P1');
  });
});
