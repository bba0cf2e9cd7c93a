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

/**
 * How long the release station and the print desk wait for an answer before saying Carrel did not
 * answer (`code: 'network'`: not known whether it was done; a money request pressed again is sent
 * with the same request id, never done twice). Longer than Carrel takes to answer with the library
 * system or the print server not answering (it gives up on them after 10 s and says so).
 */
export const DEADLINE_MS = 15_000;

/** The pages' client to Carrel's API, with the deadline. */
export function printApi(token) {
  return new ApiClient(location.origin, token, { deadlineMs: DEADLINE_MS });
}

/** One call; JSON back, or text when another type is asked for (`accept`). */
export function call(method, path, body, token, accept = 'application/json') {
  return printApi(token).call(method, path, body, { accept });
}

/** A new idempotency key for one money-moving request (kept for its retries). */
export const requestId = newRequestId;
