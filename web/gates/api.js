/**
 * Carrel's public HTTP/WebSocket API as the gate desk uses it. A token given as
 * `#token=…` is kept in sessionStorage (and taken out of the address bar) and
 * sent as a bearer token, or as `access_token` on the event WebSocket, which
 * cannot carry headers. Without one, calls go without auth (the loopback desk).
 */

const TOKEN_KEY = 'carrel.gates.token';

/** A failed call, shaped like the API's problem+json (`code: 'network'` when nothing answered). */
export class Problem extends Error {
  constructor(body) {
    super(body.detail || body.title || body.code);
    this.status = body.status;
    this.code = body.code;
  }
}

/** Takes `#token=…` from the address into sessionStorage; returns the token to use, if any. */
export function takeToken(location, storage, history) {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = hash.get('token');
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return storage.getItem(TOKEN_KEY) ?? undefined;
}

export class GateApi {
  constructor(origin, token) {
    this.origin = origin;
    this.token = token;
  }

  async call(method, path) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(this.origin + path, { method, headers, cache: 'no-store' });
    } catch {
      throw new Problem({ status: 0, code: 'network', title: 'The API cannot be reached' });
    }
    let json;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    if (!response.ok)
      throw new Problem(
        json?.code
          ? json
          : { status: response.status, code: `http_${response.status}`, title: response.statusText },
      );
    return json;
  }

  gates() {
    return this.call('GET', '/api/v1/gates');
  }

  alarms(after) {
    const query = new URLSearchParams({ limit: '50' });
    if (after) query.set('after', after);
    return this.call('GET', `/api/v1/gates/alarms?${query}`);
  }

  acknowledge(id) {
    return this.call('POST', `/api/v1/gates/alarms/${encodeURIComponent(id)}/ack`);
  }

  /** The event WebSocket for these devices; `onMessage` gets parsed JSON. */
  events(devices, onMessage, onOpen, onClose) {
    const url = new URL('/api/v1/events', this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('devices', devices.join(','));
    if (this.token) url.searchParams.set('access_token', this.token);
    const socket = new WebSocket(url);
    socket.addEventListener('open', () => onOpen());
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(message);
    });
    socket.addEventListener('close', (event) => onClose(event));
    return socket;
  }
}
