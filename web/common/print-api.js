/**
 * Carrel's print API as the release station and the print desk use it, over the pages' shared
 * client: the token given as `#token=…` is kept in sessionStorage (and taken out of the address
 * bar) and sent as a bearer token; without one, calls go without auth (the loopback desk).
 */
import { ApiClient, newRequestId, Problem, takeToken as take } from './carrel-api.js';

export { Problem };

export function takeToken() {
  return take('carrel.print.token', location, sessionStorage, history);
}

/** One call; JSON back, or text when another type is asked for (`accept`). */
export function call(method, path, body, token, accept = 'application/json') {
  return new ApiClient(location.origin, token).call(method, path, body, { accept });
}

/** A new idempotency key for one money-moving request (kept for its retries). */
export const requestId = newRequestId;
