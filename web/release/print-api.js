/**
 * Carrel's print API as the release station and the print desk use it. A token
 * given as `#token=…` is kept in sessionStorage (and taken out of the address
 * bar) and sent as a bearer token; without one, calls go without auth (the
 * loopback desk).
 */

const TOKEN_KEY = 'carrel.print.token';

export class Problem extends Error {
  constructor(body) {
    super(body.detail || body.title || body.code);
    this.status = body.status;
    this.code = body.code;
  }
}

export function takeToken() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = hash.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export async function call(method, path, body, token, accept = 'application/json') {
  const headers = { accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new Problem({ status: 0, code: 'network', title: 'Carrel cannot be reached' });
  }
  const text = await response.text();
  if (accept !== 'application/json' && response.ok) return text;
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok)
    throw new Problem(json ?? { status: response.status, code: 'error', title: response.statusText });
  return json;
}

/** A new idempotency key for one money-moving request (kept for its retries). */
export function requestId() {
  return crypto.randomUUID();
}

/** Minor units as money: 1234 EUR → "€12.34". */
export function money(minor, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}
