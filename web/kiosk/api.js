/**
 * Carrel's public HTTP/WebSocket API as the kiosk uses it. A token given as
 * `#token=…` is kept in sessionStorage (and taken out of the address bar) and
 * sent as a bearer token, or as `access_token` on WebSockets, which cannot
 * carry headers. Without one, calls go without auth (the loopback desk).
 *
 * Every call on a session names this screen (`?screen=`, the page's own id): a session is acted on
 * only by the screen that shows it, so another tab or kiosk page on the same pad cannot end it.
 */

import { ApiClient, newRequestId, Problem, takeToken as take } from '/common/carrel-api.js';

export { newRequestId, Problem };

/** Takes `#token=…` from the address into sessionStorage; returns the token to use, if any. */
export const takeToken = (location, storage, history) =>
  take('carrel.kiosk.token', location, storage, history);

export class KioskApi extends ApiClient {
  constructor(origin, token, screen) {
    super(origin, token);
    this.screen = screen;
  }

  /** A session's path, as this screen asks. */
  onScreen(path) {
    return `${path}?screen=${encodeURIComponent(this.screen)}`;
  }

  openSession(request) {
    return this.call('POST', this.onScreen('/api/v1/sessions'), request);
  }

  /** This kiosk's sessions, open and just ended (staff see every kiosk's). */
  sessions() {
    return this.call('GET', '/api/v1/sessions');
  }

  session(id) {
    return this.call('GET', `/api/v1/sessions/${encodeURIComponent(id)}`);
  }

  processItem(id, item, feeAcknowledged) {
    return this.call('POST', this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}/items`), {
      item,
      ...(feeAcknowledged ? { feeAcknowledged: true } : {}),
    });
  }

  renew(id, item) {
    return this.call(
      'POST',
      this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}/renewals`),
      item ? { item } : {},
    );
  }

  /** The patron is still there: the session's inactivity end is pushed back. */
  keepAlive(id) {
    return this.call('POST', this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}/keep-alive`));
  }

  /**
   * The session is shown on this screen from now on. Refused (`session_on_another_screen`) while
   * the screen showing it is still there, unless `force`: that screen is then told it moved.
   */
  takeOver(id, force) {
    return this.call('POST', this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}/take-over`), {
      ...(force ? { force: true } : {}),
    });
  }

  /** `requestId`: the same again after a lost answer, so Carrel answers the receipt it made. */
  endSession(id, receipt, printer, requestId) {
    return this.call('POST', this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}/end`), {
      receipt,
      ...(printer ? { printer } : {}),
      ...(requestId ? { requestId } : {}),
    });
  }

  cancelSession(id, options) {
    return this.call(
      'DELETE',
      this.onScreen(`/api/v1/sessions/${encodeURIComponent(id)}`),
      undefined,
      options,
    ).catch(() => {});
  }

  /** Every device with its health record (the library system's link among them). */
  devices() {
    return this.call('GET', '/api/v1/devices');
  }

  tags(reader) {
    return this.call('GET', `/api/v1/rfid/${encodeURIComponent(reader)}/tags`);
  }

  /**
   * A WebSocket on the API (same host), with the token as `access_token`; `onMessage` gets parsed
   * JSON. A link gone silent closes it within seconds, `onClose` told with `silent: true` (liveSocket).
   */
  socket(path, query, onMessage, onClose) {
    return this.openSocket(path, query, { onMessage, onClose });
  }
}
