/**
 * The kiosk session's inactivity countdown: the time left before Carrel ends the session if nothing
 * happens, pushed back by any activity, and — when little is left — "Are you still there?" with a
 * button that keeps the session alive. Built only on Carrel's public API.
 */
import { Problem } from './api.js';
import { element } from './rows.js';
import { formatCountdown, problemWords } from './words.js';

const IDLE_WARNING_MS = 30_000;

/**
 * The countdown of the session the page shows. `page` gives what it needs of the page: `api`, `$`,
 * `say(id, text)`, `state` (the session, the screen shown, and the countdown's `deadline` and
 * `idleMs`, which it keeps there), `sessionChanged(session)` (the session as Carrel answered the
 * keep-alive) and `shownElsewhere(error)` (the session moved to another screen).
 */
export function idleCountdown(page) {
  const { api, $, say, state, sessionChanged, shownElsewhere } = page;

  /**
   * The countdown runs on `performance.now()`, as Carrel ends the session on its monotonic clock: on
   * `Date.now()` a step of the kiosk PC's wall clock (NTP at boot, no RTC battery) made it jump to
   * 0:00 or freeze while the session went on or ended on Carrel's time.
   */
  const monotonicNow = () => performance.now();

  /** Any activity pushes the inactivity end back by the session's timeout. */
  function touch() {
    state.deadline = monotonicNow() + state.idleMs;
    render();
  }

  /**
   * The inactivity end as Carrel has it: the time it says is left (`expiresInMs`), from now. The
   * whole session comes again on a reconnect, with no activity: starting the countdown again then
   * would end the session before the patron was warned.
   */
  function followExpiry(session) {
    if (typeof session.expiresInMs !== 'number') return touch();
    state.deadline = monotonicNow() + session.expiresInMs;
    render();
  }

  /** The time left, drawn in #idle (every second while the session is open), and the warning when little is. */
  function render() {
    const idle = $('idle');
    if (state.session?.state !== 'open') {
      idle.hidden = true;
      return;
    }
    const left = state.deadline - monotonicNow();
    const warning = left <= Math.min(IDLE_WARNING_MS, state.idleMs / 2);
    idle.hidden = false;
    idle.textContent = `Session ends in ${formatCountdown(left)} if idle`;
    idle.classList.toggle('warning', warning);
    const alert = $('alert');
    // Deciding about the receipt is still the session: the patron is warned there too.
    if (warning && (state.screen === 'session' || state.screen === 'finish')) {
      if (alert.hidden) {
        alert.replaceChildren(
          'Are you still there? Your session ends soon. ',
          element('button', { type: 'button', class: 'inline', onclick: stillHere }, 'I am still here'),
        );
        alert.hidden = false;
      }
    } else if (!alert.hidden && alert.querySelector('button')) {
      say('alert', '');
    }
  }

  async function stillHere() {
    if (!state.session) return;
    try {
      // Reading the session is not activity: only keep-alive pushes its end back.
      sessionChanged(await api.keepAlive(state.session.id));
      say('alert', '');
    } catch (error) {
      if (shownElsewhere(error)) return;
      if (error instanceof Problem)
        say(
          state.screen === 'finish' ? 'finish-error' : 'session-error',
          problemWords(error, state.session?.mode),
        );
    }
  }

  return { touch, followExpiry, render };
}
