/**
 * One screen shows a pad's session. Another page on the same pad says it is in use and leaves the
 * session alone; it takes the session over when the screen showing it is gone (the browser
 * crashed) — once that screen has stayed away past Carrel's grace, for it may only be reconnecting
 * after a network blip — or when staff press "Move the session to this screen". A page closed or
 * reloaded mid-session lets the pad go; one that comes back after a crash takes its session up.
 */
import { Problem } from './api.js';
import { problemWords } from './words.js';

/** sessionStorage: the session this tab let go when it was last hidden (a reload), not to be taken up again. */
const LET_GO_KEY = 'carrel.kiosk.let-go';
/** How often a page that found the session's screen away asks again whether it may take it up. */
const AWAY_RETRY_MS = 3000;

/**
 * The kiosk's sessions among its screens. `page` gives what it needs of the page: `api`,
 * `say(id, text)`, `show(screen)`, its `state`, its `pad`, `thisScreen` (screen.js), `toStart()`
 * and `startSession(session)`.
 */
export function sessionScreens(page) {
  const { api, say, show, state, pad, thisScreen } = page;
  const toStart = () => page.toStart();
  const startSession = (session) => page.startSession(session);

  /**
   * The session was moved to another screen (staff moved it there on purpose): this screen lets it
   * be — it neither cancels it nor shows it any longer — and says the self-check is in use.
   */
  function movedAway() {
    if (!state.session) return;
    const { id } = state.session;
    state.session = null; // not this screen's to cancel any more
    toStart();
    showInUse(id);
  }

  /**
   * Another screen shows this pad's session: say so, show none of it, and go back to the start when
   * it ends. Followed read only (without this screen's id), so this screen never holds it.
   */
  function showInUse(id) {
    state.inUse?.socket?.close();
    const inUse = { id, socket: null };
    state.inUse = inUse;
    say('in-use-error', '');
    show('in-use');
    const follow = () => {
      const socket = api.socket(
        `/api/v1/sessions/${encodeURIComponent(id)}/events`,
        {},
        (message) => {
          if (message.event === 'ended' && state.inUse === inUse) toStart();
        },
        (event) => {
          if (state.inUse !== inUse || inUse.socket !== socket) return;
          // Ended, or gone (Carrel restarted): the pad is free.
          if (event.code === 1000 || event.code === 4404) return toStart();
          setTimeout(() => {
            if (state.inUse === inUse && inUse.socket === socket) follow();
          }, 2000);
        },
      );
      inUse.socket = socket;
    };
    follow();
  }

  /** Staff moving the session to this screen on purpose (the other one is closed or not working). */
  async function takeOverHere() {
    const inUse = state.inUse;
    if (!inUse) return;
    say('in-use-error', '');
    try {
      const session = await api.takeOver(inUse.id, true);
      if (state.inUse !== inUse) return;
      inUse.socket?.close();
      state.inUse = null;
      startSession(session);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      if (error.status === 404 || error.code === 'session_ended') return toStart();
      say('in-use-error', problemWords(error));
    }
  }

  /**
   * The session's screen was away (its connection lost) when this page came: asked again every few
   * seconds, the session comes here once that screen has stayed away past the grace (its browser
   * crashed, and this page is it come back). Back meanwhile, the session stays there.
   */
  function takeOverIfStillAway(inUse) {
    setTimeout(async () => {
      if (state.inUse !== inUse || state.screen !== 'in-use') return;
      try {
        const session = await api.takeOver(inUse.id, false);
        if (state.inUse !== inUse) return;
        inUse.socket?.close();
        state.inUse = null;
        startSession(session);
      } catch (error) {
        if (state.inUse !== inUse) return;
        if (error instanceof Problem && (error.status === 404 || error.code === 'session_ended'))
          return toStart();
        // Its screen is back (session_on_another_screen): in use it stays.
        if (error instanceof Problem && error.code === 'session_on_another_screen') return;
        takeOverIfStillAway(inUse);
      }
    }, AWAY_RETRY_MS);
  }

  /** A request refused because the session is now shown on another screen: this one lets it be. */
  function shownElsewhere(error) {
    if (!(error instanceof Problem) || error.code !== 'session_on_another_screen') return false;
    movedAway();
    return true;
  }

  // A kiosk page closed or reloaded mid-session lets the pad go rather than holding it until the timeout.
  addEventListener('pagehide', () => {
    if (state.session?.state === 'open' && !state.ending) {
      sessionStorage.setItem(LET_GO_KEY, state.session.id);
      api.cancelSession(state.session.id, { keepalive: true });
    }
  });

  /**
   * A session this kiosk left open on its pad without letting it go (the browser crashed, or lost
   * power): it still checks out what is placed on the pad, and answers anyone else "busy". The page
   * that comes back takes it up, so the patron sees it and can finish; coming back counts as
   * activity. One this tab let go as it reloaded is being cancelled, and is left alone. A session
   * another screen still shows is that screen's: this one says the self-check is in use.
   */
  async function resumeLeftSession() {
    const letGo = sessionStorage.getItem(LET_GO_KEY);
    sessionStorage.removeItem(LET_GO_KEY);
    let left;
    await thisScreen.claimed;
    try {
      const { sessions } = await api.sessions();
      left = sessions.find((s) => s.state === 'open' && s.pad === pad && s.id !== letGo);
      if (!left || state.session || state.busy || state.screen !== 'start') return;
      const session = await api.takeOver(left.id, false);
      if (!state.session && !state.busy && state.screen === 'start') startSession(session);
    } catch (error) {
      if (error instanceof Problem && error.code === 'session_screen_away') {
        // The screen showing it lost its connection a moment ago, and is likely reconnecting with the
        // patron in front of it: in use here, unless it stays away past Carrel's grace.
        if (!state.session && !state.busy && state.screen === 'start') {
          showInUse(left.id);
          takeOverIfStillAway(state.inUse);
        }
        return;
      }
      if (!(error instanceof Problem && error.code === 'session_on_another_screen')) return;
      // Another screen shows it — perhaps under this page's own id, copied with a duplicated tab
      // whose original did not answer in time: this page is a screen of its own from now on.
      thisScreen.renew();
      if (!state.session && !state.busy && state.screen === 'start') showInUse(left.id);
    }
  }

  return { movedAway, shownElsewhere, takeOverHere, resumeLeftSession };
}
