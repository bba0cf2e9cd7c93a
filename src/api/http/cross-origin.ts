import type { FastifyInstance } from 'fastify';
import { ApiProblem } from './problem.js';

/**
 * Kiosk and desk pages served from another origin than Carrel's (the library's web server, a
 * developer's `http://localhost:5173`) that may call the API from a browser: `http.allowedOrigins`.
 * Such a page's `fetch` with a token and a JSON body is a cross-origin request the browser first
 * asks about (a CORS preflight, OPTIONS); without an answer naming the origin it never sends it.
 */

/** Methods the API's routes use. */
const METHODS = 'GET, POST, PUT, DELETE';
/** Request headers a page sends: its token, its JSON body's type, and a change's request id. */
const REQUEST_HEADERS = 'authorization, content-type, idempotency-key';
/**
 * Answer headers a page may read beyond the simple ones: a new print job's place, a report's file
 * name, why a token was refused, that a request sent again was answered from the first, that a
 * card preview's patron's registration has expired, and the desk's time (`date`, which a page ages
 * the desk's times against rather than its PC's clock: web/common/desk-clock.js).
 */
const EXPOSED_HEADERS =
  'location, content-disposition, www-authenticate, idempotent-replayed, registration-expired, date';
/** How long a browser may keep a preflight's answer. */
const MAX_AGE_SECONDS = 600;

const NONE: Readonly<Record<string, string>> = {};
const VARY = { vary: 'origin' };

/** The CORS headers of every answer to `origin` (none when no origin is allowed). */
export function crossOriginHeaders(
  allowed: ReadonlySet<string>,
  origin: string | undefined,
): Readonly<Record<string, string>> {
  if (allowed.size === 0) return NONE;
  // The answer depends on the asking origin: no cache may hand one origin's to another.
  if (origin === undefined || !allowed.has(origin)) return VARY;
  return {
    ...VARY,
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
  };
}

/**
 * Answers CORS for the allowed origins: each preflight (OPTIONS, any path) from one of them, and
 * every answer to one of them names it in `Access-Control-Allow-Origin`. Chromium's Private
 * Network Access preflight (a public page calling 127.0.0.1) is granted for them too. Another
 * origin's preflight is refused 403 `origin_not_allowed`, and its requests carry no CORS header,
 * so the browser keeps the answers from its page. Nothing is registered when no origin is
 * allowed: a desk without cross-origin pages pays nothing per request.
 */
export function allowCrossOrigin(app: FastifyInstance, allowed: ReadonlySet<string>): void {
  if (allowed.size === 0) return;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(crossOriginHeaders(allowed, request.headers.origin));
    done();
  });
  app.options('*', (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) {
      throw new ApiProblem(
        403,
        'origin_not_allowed',
        'Origin not allowed',
        'a page calls the API from another origin only when http.allowedOrigins lists it',
      );
    }
    reply
      .header('access-control-allow-methods', METHODS)
      .header('access-control-allow-headers', REQUEST_HEADERS)
      .header('access-control-max-age', String(MAX_AGE_SECONDS));
    if (request.headers['access-control-request-private-network'] === 'true') {
      reply.header('access-control-allow-private-network', 'true');
    }
    reply.code(204).send();
  });
}
