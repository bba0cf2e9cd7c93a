/**
 * The kiosk screen each session is shown on, for sessions opened or taken over by a screen, and
 * that screen's live feeds: while one is connected the screen is there, and another screen may take
 * the session over only on purpose (force); one that lost its connection a moment ago (a network
 * blip) is reconnecting with the patron still in front of it, and another screen waits out the grace.
 */
import type { Clock } from '../../core/clock.js';
import type { SessionCaller, SessionUpdate } from '../contracts/sessions.js';
import { SessionError } from './errors.js';
import type { SelfCheckSession } from './session.js';

interface ScreenHold {
  screen: string;
  /** Each feed of the holding screen: tells it the session moved, and stops it. */
  feeds: Set<() => void>;
  /** Monotonic time the screen was last connected (or took the session), while it has no feed. */
  awaySince: number;
}

export class SessionScreens {
  /** Session → the screen it is shown on. */
  private readonly holds = new Map<string, ScreenHold>();

  constructor(
    private readonly clock: Clock,
    /** How long a screen that lost its connection keeps its session from another screen. */
    private readonly graceMs: () => number,
  ) {}

  /** The session is shown on `screen` from now (not connected yet, so away from now on). */
  show(session: string, screen: string): void {
    this.holds.set(session, { screen, feeds: new Set(), awaySince: this.clock.monotonic() });
  }

  /** The session ended: no screen holds it. */
  forget(session: string): void {
    this.holds.delete(session);
  }

  /** Refuses work on a session shown on another screen than the caller's. */
  checkCaller(session: SelfCheckSession, caller: SessionCaller): void {
    const hold = this.holds.get(session.id);
    if (caller.screen !== undefined && hold !== undefined && hold.screen !== caller.screen)
      throw new SessionError(
        'session_on_another_screen',
        `session "${session.id}" is shown on another screen`,
      );
  }

  /**
   * `screen` takes the session over: refused while another screen is connected (unless `force`),
   * or away less than the grace; the feeds of the screen that held it are told it moved. Answers
   * whether a connected screen held it.
   */
  takeOver(session: SelfCheckSession, screen: string, force: boolean): boolean {
    const hold = this.holds.get(session.id);
    // A screen still connected is there, even under this screen's id: a duplicated browser tab
    // carries its original's id, and must not take the session from it unasked.
    const shown = hold !== undefined && hold.feeds.size > 0;
    if (shown && !force)
      throw new SessionError(
        'session_on_another_screen',
        `session "${session.id}" is shown on another screen that is still connected; take it over with force`,
      );
    // Its screen lost its connection a moment ago (a network blip): it is reconnecting, and the
    // patron is still in front of it. Another screen waits out the grace; the same one comes back.
    const graceMs = this.graceMs();
    const awayMs = hold === undefined ? Infinity : this.clock.monotonic() - hold.awaySince;
    if (hold !== undefined && !shown && hold.screen !== screen && awayMs < graceMs && !force)
      throw new SessionError(
        'session_screen_away',
        `session "${session.id}" is shown on another screen that lost its connection ${Math.floor(awayMs / 1000)} s ago and may come back: it can be taken over in ${Math.ceil((graceMs - awayMs) / 1000)} s, or now with force`,
      );
    for (const moved of [...(hold?.feeds ?? [])]) moved();
    this.show(session.id, screen);
    return shown;
  }

  /**
   * The session's updates to `listener` (its state first); a screen other than the one holding it
   * hears only that it moved, and the holding screen's feed is counted while it is connected.
   */
  watch(
    session: SelfCheckSession,
    caller: SessionCaller,
    listener: (update: SessionUpdate) => void,
  ): () => void {
    const hold = this.holds.get(session.id);
    if (session.open && caller.screen !== undefined && hold !== undefined && hold.screen !== caller.screen) {
      listener({ event: 'moved', data: { id: session.id } });
      return () => {};
    }
    listener({ event: session.open ? 'session' : 'ended', data: session.view() });
    if (!session.open) return () => {};
    const unwatch = session.watch(listener);
    if (caller.screen === undefined || hold === undefined) return unwatch;
    const feed = () => {
      stop();
      listener({ event: 'moved', data: { id: session.id } });
    };
    const stop = () => {
      unwatch();
      if (hold.feeds.delete(feed) && hold.feeds.size === 0) hold.awaySince = this.clock.monotonic();
    };
    hold.feeds.add(feed);
    return stop;
  }
}
