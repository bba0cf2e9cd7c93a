/**
 * Carrel's public HTTP/WebSocket API as a page served by Carrel uses it. A token given as
 * `#token=…` is kept in sessionStorage (and taken out of the address bar) and sent as a bearer
 * token, or as `access_token` on the event WebSocket, which cannot carry headers. Without one,
 * calls go without auth (the loopback desk). Each answer's `Date` tells the page the desk's time
 * (desk-clock.js).
 */

import { heardDeskTime } from './desk-clock.js';

/**
 * A new request id (a version 4 UUID) for one request that must not be done twice, kept for its
 * retries. From getRandomValues, not randomUUID: a desk page on the library's network over plain
 * http (http://desk-pc:8480) is not a secure context, and randomUUID exists only in those.
 */
export function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

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
    /** Whether the print server still holds a job it refused to release (print_release_refused). */
    this.jobStillWaiting = body.jobStillWaiting === true;
  }
}

/** Takes `#token=…` from the address into sessionStorage under `key`; returns the token to use, if any. */
export function takeToken(key, location, storage, history) {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = hash.get('token');
  if (fromHash) {
    storage.setItem(key, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return storage.getItem(key) ?? undefined;
}

export class ApiClient {
  /**
   * `options.deadlineMs`: a call not answered in full within it fails as one that could not reach
   * Carrel (`code: 'network'`). A link cut on the way (a switch gone, a stalled network) answers
   * nothing and closes nothing: a call waited for as long as TCP tried, minutes, with the page
   * saying nothing and its buttons held.
   */
  constructor(origin, token, options = {}) {
    this.origin = origin;
    this.token = token;
    this.deadlineMs = options.deadlineMs;
  }

  /**
   * One call; resolves to the JSON answer (undefined when empty), or the text when `options.accept`
   * asks for another type; rejects with a Problem.
   */
  async call(method, path, body, options = {}) {
    const accept = options.accept ?? 'application/json';
    const headers = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const deadline = this.deadlineMs === undefined ? undefined : new AbortController();
    const timer = deadline && setTimeout(() => deadline.abort(), this.deadlineMs);
    const unanswered = () =>
      new Problem(
        deadline?.signal.aborted
          ? { status: 0, code: 'network', title: `Carrel did not answer within ${this.deadlineMs / 1000} s` }
          : { status: 0, code: 'network', title: 'The API cannot be reached' },
      );
    let response;
    let text;
    const sentAt = performance.now();
    try {
      try {
        response = await fetch(this.origin + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: 'no-store',
          keepalive: options.keepalive === true,
          ...(deadline && { signal: deadline.signal }),
        });
      } catch {
        throw unanswered();
      }
      heardDeskTime(response.headers.get('date'), sentAt, performance.now());
      // The answer's body is under the deadline too: a link cut mid-answer leaves it unread.
      try {
        text = await response.text();
      } catch (error) {
        if (deadline?.signal.aborted) throw unanswered();
        throw error;
      }
    } finally {
      clearTimeout(timer);
    }
    if (accept !== 'application/json' && response.ok) return text;
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok)
      throw new Problem(
        json && typeof json === 'object' && json.code
          ? json
          : { status: response.status, code: `http_${response.status}`, title: response.statusText },
      );
    return json;
  }

  /**
   * Whether Carrel answers at all within `ANSWER_MS` (a refusal is an answer too): false when
   * nothing came back, as over a link gone silent.
   */
  async answers() {
    try {
      await new ApiClient(this.origin, this.token, { deadlineMs: ANSWER_MS }).call(
        'GET',
        '/api/v1/auth/caller',
      );
      return true;
    } catch (error) {
      return !(error instanceof Problem && error.code === 'network');
    }
  }

  /**
   * The event WebSocket (every device, or those named); `onMessage` gets parsed JSON:
   * a snapshot first, then `device.state` and `device.event` messages.
   */
  events(devices, onMessage, onOpen, onClose) {
    return this.openSocket('/api/v1/events', devices?.length ? { devices: devices.join(',') } : {}, {
      onMessage,
      onOpen,
      onClose,
    });
  }

  /**
   * A WebSocket on the API (`path` with `query`, the token as `access_token`) that notices a link
   * gone silent (liveSocket): `onMessage` gets parsed JSON, `onClose` is told once.
   */
  openSocket(path, query, handlers) {
    const url = new URL(path, this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    if (this.token) url.searchParams.set('access_token', this.token);
    return liveSocket(url, { ...handlers, answers: () => this.answers() });
  }
}

/**
 * How long a WebSocket to Carrel may hear nothing before the page asks Carrel whether it is still
 * there, and how long Carrel then has to answer: a link gone silent is noticed within ten seconds.
 */
export const QUIET_MS = 5000;
export const ANSWER_MS = 5000;

/**
 * A WebSocket that notices a link gone silent. A link cut on the way (a cable pulled, a switch
 * gone, a laptop woken from sleep) answers nothing and closes nothing: the socket stayed open for
 * as long as TCP tried — many minutes — and the page showed what it last heard as if live. Quiet
 * for `QUIET_MS` (opening or open), it asks Carrel over HTTP (`answers()`); when nothing comes
 * back it closes the socket and tells `onClose` at once with `{ code: 1006, silent: true }` (a
 * closing handshake over a dead link would wait as long again). `onClose` is told once, and
 * nothing more is heard from a socket given up.
 */
export function liveSocket(url, { answers, onMessage, onOpen, onClose }) {
  const socket = new WebSocket(url);
  let over = false;
  let quiet;
  const heard = () => {
    clearTimeout(quiet);
    if (!over) quiet = setTimeout(ask, QUIET_MS);
  };
  const end = (event) => {
    if (over) return;
    over = true;
    clearTimeout(quiet);
    onClose?.(event);
  };
  async function ask() {
    const answered = await answers();
    if (over) return;
    if (answered) return heard();
    socket.close();
    end({ code: 1006, reason: 'Carrel did not answer', wasClean: false, silent: true });
  }
  socket.addEventListener('open', () => {
    if (over) return;
    heard();
    onOpen?.();
  });
  socket.addEventListener('message', (event) => {
    if (over) return;
    heard();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    onMessage(message);
  });
  socket.addEventListener('close', (event) => end(event));
  heard();
  return socket;
}
