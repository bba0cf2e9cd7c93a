/**
 * Patrons logged in at a release station: an opaque session per login
 * (card number and PIN checked over SIP2), ended by logging out or after two
 * minutes without a request. The station holds the session, never the PIN.
 * The two minutes are measured on the monotonic clock: NTP stepping the wall
 * clock back must not keep a patron who walked away logged in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';

const MAX_SESSIONS = 1000;

export class StationLogins {
  private readonly sessions = new Map<string, { patron: string; lastUsed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs = 120_000,
  ) {}

  open(patron: string): string {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const session = randomBytes(24).toString('base64url');
    this.sessions.set(session, { patron, lastUsed: this.clock.monotonic() });
    return session;
  }

  /** The patron of a live session (and it lives on); `station_session_expired` when there is none. */
  patron(session: string): string {
    const found = this.sessions.get(session);
    const now = this.clock.monotonic();
    if (!found || now - found.lastUsed > this.idleMs) {
      this.sessions.delete(session);
      throw new CarrelError('station_session_expired', 'the station session has ended; please log in again');
    }
    found.lastUsed = now;
    return found.patron;
  }

  close(session: string): void {
    this.sessions.delete(session);
  }

  private sweep(): void {
    const now = this.clock.monotonic();
    for (const [session, found] of this.sessions)
      if (now - found.lastUsed > this.idleMs) this.sessions.delete(session);
  }
}
