/**
 * Logging in at the kiosk: the card number and PIN typed, or the library card laid on the pad (the
 * PIN-only screen), or a patron's card scanned at the kiosk's scanner (which the page never sees:
 * Carrel keeps it for the session). A patron who walks away while logging in leaves nothing typed
 * for the next person.
 */
import { newRequestId, Problem } from './api.js';
import { problemWords } from './words.js';

/** Logging in, untouched this long: the patron walked away, and the start screen clears what they typed. */
const LOGIN_IDLE_MS = 60_000;

/**
 * The login screens. `page` gives what they need of the page: `api`, `$`, `say(id, text)`,
 * `show(screen)`, its `state`, its `pad` and `scanner`, `thisScreen` (screen.js), `toStart()` and
 * `startSession(session)`.
 */
export function kioskLogin(page) {
  const { api, $, say, show, state, pad, scanner, thisScreen } = page;
  const toStart = () => page.toStart();
  const startSession = (session) => page.startSession(session);

  let loginIdleTimer = 0;

  /**
   * A patron who walks away while logging in must not leave their card number typed (or their card
   * taken for the PIN screen) for the next person: untouched for a minute, the kiosk starts again.
   */
  function loginTouched() {
    clearTimeout(loginIdleTimer);
    const loggingIn = () => state.screen === 'login' || state.screen === 'card';
    if (!loggingIn()) return;
    loginIdleTimer = setTimeout(() => {
      if (loggingIn() && !state.busy) toStart();
    }, LOGIN_IDLE_MS);
  }
  for (const type of ['pointerdown', 'keydown', 'input']) document.addEventListener(type, loginTouched, true);

  function toLogin() {
    show('login');
    watchPadForCard();
  }

  /** A card already lying on the pad: asked once the event socket is open, so none placed in between is missed. */
  async function cardOnPad() {
    try {
      const { tags } = await api.tags(pad);
      if (state.screen === 'login' && tags.some(isPatronCard)) show('card');
    } catch {
      // The pad is not answering: typing the card number still works.
    }
  }

  const isPatronCard = (tag) => tag?.item?.typeOfUsage === 'patron-card';

  /** While logging in, a library card placed on the pad switches to the PIN-only screen. */
  function watchPadForCard() {
    state.padSocket?.close();
    state.padSocket = api.socket('/api/v1/events', { devices: pad }, (message) => {
      if (message.event !== 'device.event' || message.data?.device !== pad) return;
      const { type, data } = message.data;
      if (!isPatronCard(data)) return;
      if (type === 'rfid.tag_arrived' && state.screen === 'login') show('card');
      if (type === 'rfid.tag_left' && state.screen === 'card') {
        show('login');
        say('login-error', 'Your library card was taken off the pad.');
      }
    });
    state.padSocket.addEventListener('open', cardOnPad);
  }

  /**
   * The session whose opening has no known outcome (its answer was lost): asking again for the same
   * patron sends the same request id, and Carrel answers with the session it opened. A new id would
   * find the pad held by that session ("busy") while it checked out what the patron placed.
   */
  let unsettledOpening;

  async function openSessionOnce(request) {
    await thisScreen.claimed;
    const key = JSON.stringify(request);
    if (unsettledOpening?.key !== key) unsettledOpening = { key, requestId: newRequestId() };
    try {
      const session = await api.openSession({ ...request, requestId: unsettledOpening.requestId });
      unsettledOpening = undefined;
      return session;
    } catch (error) {
      if (!(error instanceof Problem && (error.status === 0 || error.status >= 500)))
        unsettledOpening = undefined;
      throw error;
    }
  }

  async function logIn(request, errorId) {
    say(errorId, '');
    // The library system may take seconds: the patron sees that her press was taken.
    const statusId = errorId === 'card-error' ? 'card-status' : 'login-status';
    say(statusId, 'Checking your card…');
    try {
      const session = await openSessionOnce({
        mode: 'checkout',
        pad,
        auto: true,
        ...(scanner ? { scanner } : {}),
        ...request,
      });
      startSession(session);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      say(errorId, problemWords(error));
      // Wrong or missing PIN: clear it and let the patron type it again. Refused for anything else
      // (the library system not answering, the card not found), the PIN she typed is kept: she
      // tries again, or corrects the card number, without typing it once more.
      const pin = $(errorId === 'card-error' ? 'card-pin' : 'login-pin');
      if (error.code === 'invalid_pin' || error.code === 'pin_required') {
        pin.value = '';
        pin.focus();
      } else if (error.code === 'patron_not_found' && errorId === 'login-error') {
        $('login-patron').focus();
      } else {
        pin.focus();
      }
    } finally {
      say(statusId, '');
    }
  }

  /**
   * A patron's card (or barcode) scanned at the kiosk's scanner, on the start or login screen,
   * goes to the PIN screen. The event says only that a patron was scanned, never who.
   */
  function watchScanner() {
    if (!scanner) return;
    api.socket(
      '/api/v1/events',
      { devices: scanner },
      (message) => {
        if (message.event !== 'device.event' || message.data?.device !== scanner) return;
        const { type, data } = message.data;
        if (type !== 'scanner.identified' || data?.role !== 'patron') return;
        if (state.screen !== 'start' && state.screen !== 'login' && state.screen !== 'card') return;
        state.scannedPatron = true;
        say('card-error', '');
        show('card');
      },
      // The gateway restarted or the network blinked: listen again.
      () => setTimeout(watchScanner, 2000),
    );
  }

  /**
   * Back at the start: the opening kept to be asked again (its key holds the card number and PIN
   * she typed) goes with her, and her idle timer. Carrel ends a session it opened for it by itself.
   */
  function forget() {
    unsettledOpening = undefined;
    clearTimeout(loginIdleTimer);
  }

  return { touched: loginTouched, toLogin, openSessionOnce, logIn, watchScanner, forget };
}
