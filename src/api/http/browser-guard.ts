import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { isLoopbackHost, isLoopbackHostHeader } from '../../core/net.js';
import { ApiProblem } from './problem.js';

/**
 * Without tokens the API trusts whoever reaches its loopback address, and a browser on the desk
 * machine reaches it on behalf of any web page it shows, in two ways:
 *
 * - DNS rebinding: a page's own name is made to resolve to 127.0.0.1, so its requests count as
 *   same-origin and it reads the answers. They still say `Host: <that name>`.
 * - WebSockets: the same-origin policy does not cover them. Any page may open one to 127.0.0.1
 *   and read it; the browser says which page in `Origin`.
 *
 * So while no tokens are configured a request is served only when its Host names a loopback
 * address (127.x.x.x, localhost, [::1]) or is absent, and when it comes from no page (no
 * `Origin`: curl, a kiosk's own HTTP client), from a page on a loopback host or a local file, or
 * from an origin `http.allowedOrigins` lists (cross-origin.ts).
 * Anything else is answered 403 before any route or WebSocket sees it. With tokens these checks
 * are off: a page has no token to send, and a kiosk page served from elsewhere uses its own.
 */
export function browserRefusal(
  headers: IncomingHttpHeaders,
  allowedOrigins: ReadonlySet<string> = NONE,
): ApiProblem | undefined {
  const host = headers.host;
  if (host !== undefined && !isLoopbackHostHeader(host)) {
    return new ApiProblem(
      403,
      'host_not_allowed',
      'Host not allowed',
      'without auth tokens Carrel answers only requests addressed to 127.0.0.1, localhost or [::1]; configure auth.tokens to serve other names',
    );
  }
  const origin = headers.origin;
  if (origin !== undefined && !isLocalOrigin(origin) && !allowedOrigins.has(origin)) {
    return new ApiProblem(
      403,
      'origin_not_allowed',
      'Origin not allowed',
      'without auth tokens Carrel serves only pages on this machine (a loopback host or a local file) and the origins http.allowedOrigins lists',
    );
  }
  return undefined;
}

const NONE: ReadonlySet<string> = new Set();

/** A page on this machine: http(s) on a loopback host, or a local file (`file://`). Not `null`: a sandboxed frame of any page sends that. */
function isLocalOrigin(origin: string): boolean {
  if (origin === 'file://') return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
}

/** What a guard answers for a request's headers: the refusal, or undefined to serve it. */
export type BrowserGuard = (headers: IncomingHttpHeaders) => ApiProblem | undefined;

/** A refusal is logged at most this often, with how many there were since: a page retrying cannot flood the log. */
const REFUSAL_LOG_MS = 60_000;
/** How much of a Host or Origin the log quotes: the page's own text. */
const MAX_QUOTED = 100;

/**
 * browserRefusal with its refusals logged: a page on the desk's browser trying to reach the API
 * is something IT wants to hear about. At most one warning a minute, naming the first refusal's
 * Host or Origin and counting the rest. `counted` hears of every refusal (the metrics).
 */
export function browserGuard(
  allowedOrigins: ReadonlySet<string>,
  log: Logger,
  options: { clock?: Clock; counted?: (code: 'host_not_allowed' | 'origin_not_allowed') => void } = {},
): BrowserGuard {
  const { clock = systemClock, counted = () => {} } = options;
  let loggedAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (headers) => {
    const refused = browserRefusal(headers, allowedOrigins);
    if (refused === undefined) return undefined;
    counted(refused.code as 'host_not_allowed' | 'origin_not_allowed');
    const now = clock.monotonic();
    if (now - loggedAt < REFUSAL_LOG_MS) {
      unlogged++;
      return refused;
    }
    const quoted = (value: string | undefined) => value?.slice(0, MAX_QUOTED);
    log.warn(
      {
        code: refused.code,
        ...(refused.code === 'host_not_allowed'
          ? { host: quoted(headers.host) }
          : { origin: quoted(headers.origin) }),
        ...(unlogged > 0 && { alsoRefusedSinceLastWarning: unlogged }),
      },
      'refused a request from a web page that is not on this machine (configure auth.tokens, or http.allowedOrigins for a page of the library)',
    );
    loggedAt = now;
    unlogged = 0;
    return refused;
  };
}

/** The fastify options the HTTP server is made from (fastify's defaults filled in). */
interface ServerTimeouts {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** fastify's `serverFactory` for a tokenless server with no direct path (the fleet view). */
export function guardedServer(guard: BrowserGuard) {
  return apiServer(guard, () => false);
}

/**
 * fastify's `serverFactory`: a node:http server with the timeouts fastify sets on a server of its
 * own, where a tokenless API first refuses what browserRefusal refuses (`guard`), then the
 * operations taken by the direct path are answered (`direct`, direct-operations.ts), and fastify
 * answers the rest. WebSocket handshakes are checked where they are routed (websocket-upgrades.ts).
 */
export function apiServer(
  guard: BrowserGuard | undefined,
  direct: (request: IncomingMessage, response: ServerResponse) => boolean,
) {
  return (handler: Handler, options: ServerTimeouts) => {
    const server = createServer((request, response) => {
      const refused = guard?.(request.headers);
      if (refused === undefined) {
        if (!direct(request, response)) handler(request, response);
        return;
      }
      // The request's body is not read: the connection closes after the answer.
      response.shouldKeepAlive = false;
      response.writeHead(refused.status, { 'content-type': 'application/problem+json', connection: 'close' });
      response.end(JSON.stringify(refused.body()));
    });
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout ?? 0);
    return server;
  };
}
