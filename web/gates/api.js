/**
 * Carrel's public HTTP/WebSocket API as the gate desk uses it. A token given as
 * `#token=…` is kept in sessionStorage (and taken out of the address bar) and
 * sent as a bearer token, or as `access_token` on the event WebSocket, which
 * cannot carry headers. Without one, calls go without auth (the loopback desk).
 */

import { ApiClient, Problem, takeToken as take } from '/common/carrel-api.js';

export { Problem };

/** Takes `#token=…` from the address into sessionStorage; returns the token to use, if any. */
export const takeToken = (location, storage, history) =>
  take('carrel.gates.token', location, storage, history);

export class GateApi extends ApiClient {
  gates() {
    return this.call('GET', '/api/v1/gates');
  }

  alarms(after) {
    const query = new URLSearchParams({ limit: '50' });
    if (after) query.set('after', after);
    return this.call('GET', `/api/v1/gates/alarms?${query}`);
  }

  /** Every alarm not yet acknowledged, however long ago (a page of 500, or `limit`, then the next). */
  openAlarms(after, limit = 500) {
    const query = new URLSearchParams({ open: 'true', limit: String(limit) });
    if (after) query.set('after', after);
    return this.call('GET', `/api/v1/gates/alarms?${query}`);
  }

  acknowledge(id) {
    return this.call('POST', `/api/v1/gates/alarms/${encodeURIComponent(id)}/ack`);
  }
}
