/**
 * Carrel's public HTTP/WebSocket API as the kiosk uses it. A token given as
 * `#token=…` is kept in sessionStorage (and taken out of the address bar) and
 * sent as a bearer token, or as `access_token` on WebSockets, which cannot
 * carry headers. Without one, calls go without auth (the loopback desk).
 */

const TOKEN_KEY = 'carrel.kiosk.token';

/** A failed call, shaped like the API's problem+json (`code: 'network'` when nothing answered). */
export class Problem extends Error {
  constructor(body) {
    super(body.detail || body.title || body.code);
    this.status = body.status;
    this.code = body.code;
    this.title = body.title;
    this.detail = body.detail;
    this.reason = body.reason;
    this.screenMessages = body.screenMessages ?? [];
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

export class KioskApi {
  constructor(origin, token) {
    this.origin = origin;
    this.token = token;
  }

  async call(method, path, body, options = {}) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(this.origin + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        keepalive: options.keepalive === true,
      });
    } catch {
      throw new Problem({ status: 0, code: 'network', title: 'The API cannot be reached' });
    }
    const text = await response.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      throw new Problem(
        json && typeof json === 'object' && json.code
          ? json
          : { status: response.status, code: `http_${response.status}`, title: response.statusText },
      );
    }
    return json;
  }

  openSession(request) {
    return this.call('POST', '/api/v1/sessions', request);
  }

  session(id) {
    return this.call('GET', `/api/v1/sessions/${encodeURIComponent(id)}`);
  }

  processItem(id, item, feeAcknowledged) {
    return this.call('POST', `/api/v1/sessions/${encodeURIComponent(id)}/items`, {
      item,
      ...(feeAcknowledged ? { feeAcknowledged: true } : {}),
    });
  }

  renew(id, item) {
    return this.call('POST', `/api/v1/sessions/${encodeURIComponent(id)}/renewals`, item ? { item } : {});
  }

  endSession(id, receipt, printer) {
    return this.call('POST', `/api/v1/sessions/${encodeURIComponent(id)}/end`, {
      receipt,
      ...(printer ? { printer } : {}),
    });
  }

  cancelSession(id, options) {
    return this.call('DELETE', `/api/v1/sessions/${encodeURIComponent(id)}`, undefined, options).catch(
      () => {},
    );
  }

  tags(reader) {
    return this.call('GET', `/api/v1/rfid/${encodeURIComponent(reader)}/tags`);
  }

  /** A WebSocket on the API (same host), with the token as `access_token`; `onMessage` gets parsed JSON. */
  socket(path, query, onMessage, onClose) {
    const url = new URL(path, this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    if (this.token) url.searchParams.set('access_token', this.token);
    const socket = new WebSocket(url);
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(message);
    });
    socket.addEventListener('close', (event) => onClose?.(event));
    return socket;
  }
}
