import { type IncomingHttpHeaders, type IncomingMessage, STATUS_CODES } from 'node:http';
import { type ParsedUrlQuery, parse as parseQuery } from 'node:querystring';
import type { Duplex } from 'node:stream';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.js';
import { ApiProblem } from './problem.js';

/** What a WebSocket route is told of the handshake that opened it. */
export interface UpgradeRequest {
  /** The path's parameters, percent-decoded: `{ id }` for `/api/v1/scanners/:id/identifications`. */
  params: Readonly<Record<string, string>>;
  /** The query string; a repeated name is an array. */
  query: ParsedUrlQuery;
  headers: IncomingHttpHeaders;
}

/** Serves one WebSocket once its handshake is done; whatever it throws closes the socket (our bug, logged). */
export type WebSocketHandler = (socket: WebSocket, request: UpgradeRequest) => void;

declare module 'fastify' {
  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /**
     * Makes a GET route a WebSocket: a handshake on its path is upgraded and handed to this, while
     * its `handler` answers plain requests (`websocketRequired`).
     */
    websocket?: WebSocketHandler;
  }
}

/** Longest path parameter, as fastify's router allows (its `maxParamLength`). */
const MAX_PARAM_LENGTH = 100;

/** Largest message a client may send; a bigger frame closes the socket 1009. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** How often each WebSocket is pinged; one silent for a whole interval after a ping is dropped (30–60 s). */
const PING_MS = 30_000;

interface WebSocketRoute {
  url: string;
  /** The path's segments: a literal, or `:name` for a parameter (kept as `{ param: name }`). */
  segments: ReadonlyArray<string | { param: string }>;
  handler: WebSocketHandler;
}

/** A handshake's URL matched to a route (its query string raw, without the `?`), or why it cannot be served. */
type Match =
  | { route: WebSocketRoute; params: Record<string, string>; query: string }
  | ApiProblem
  | undefined;

/**
 * The WebSocket routes, by path pattern: `/api/v1/events`, `/api/v1/sessions/:id/events`. Matched
 * as fastify's router matches them (case-sensitive, no trailing slash, a parameter may be empty), so
 * a path is a WebSocket for an upgrade exactly when it is one for a plain GET (426).
 */
export class WebSocketRoutes {
  private readonly routes: WebSocketRoute[] = [];

  add(url: string, handler: WebSocketHandler): void {
    if (this.routes.some((route) => route.url === url)) throw new Error(`WebSocket route ${url} added twice`);
    if (!url.startsWith('/')) throw new Error(`WebSocket route ${url} does not start with /`);
    const segments = url
      .slice(1)
      .split('/')
      .map((segment) => {
        if (/[*?()]/.test(segment) || segment.indexOf(':') > 0)
          throw new Error(
            `WebSocket route ${url}: only literal segments and whole :parameters are supported`,
          );
        return segment.startsWith(':') ? { param: segment.slice(1) } : segment;
      });
    this.routes.push({ url, segments, handler });
  }

  /** The route patterns, for telling a client where the WebSockets are. */
  urls(): string[] {
    return this.routes.map((route) => route.url);
  }

  /**
   * The route serving a request's URL. As fastify's router: the path ends at the first `?` or `#`
   * (what follows is the query string), a segment matches a literal once percent-decoded, and a
   * parameter is one segment, percent-decoded, at most 100 characters.
   */
  match(url: string): Match {
    let pathEnd = url.length;
    for (let index = 1; index < url.length; index++) {
      const char = url.charCodeAt(index);
      if (char === 0x3f || char === 0x23) {
        pathEnd = index;
        break;
      }
    }
    if (url.charCodeAt(0) !== 0x2f) return undefined;
    const parts = url.slice(1, pathEnd).split('/');
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let index = 0; index < parts.length && matched; index++) {
        const segment = route.segments[index] as string | { param: string };
        const part = parts[index] as string;
        if (typeof segment !== 'string') params[segment.param] = part;
        else matched = segment === part || (part.includes('%') && decoded(part) === segment);
      }
      if (!matched) continue;
      for (const [name, part] of Object.entries(params)) {
        const value = decoded(part);
        if (value === undefined)
          return new ApiProblem(
            400,
            'invalid_request',
            'Invalid request',
            'the URL is not validly percent-encoded',
          );
        if (value.length > MAX_PARAM_LENGTH)
          return new ApiProblem(414, 'uri_too_long', 'URL too long', 'a path parameter is too long');
        params[name] = value;
      }
      return { route, params, query: url.slice(pathEnd + 1) };
    }
    return undefined;
  }
}

/** A percent-encoded URL segment decoded; undefined when it is not validly encoded. */
function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * WebSockets on the HTTP server fastify listens on (`app.server`), with no cost to plain requests:
 * its `upgrade` event is routed here, by the table of WebSocket routes (filled from every route
 * that says `websocket`, whoever registers it), and never through fastify's hooks.
 *
 * - A handshake (GET) on a WebSocket route is upgraded and handed to the route's handler with its
 *   parameters, query and headers; the handler authenticates and closes 4401/4403/4404 itself.
 * - Anything else asking to upgrade — another path, another method — gets an ordinary HTTP answer
 *   and is never upgraded: 404 `not_a_websocket` (RFC 6455 §4.2.2: a resource that offers no
 *   WebSocket service answers the handshake with an HTTP error such as 404), before any
 *   authentication or body reading; node has already taken the socket from the HTTP parser, so a
 *   body could never be read, and the connection is closed after the answer. Not 426: that status
 *   means the opposite (the server wants the client to upgrade). A plain GET on a WebSocket route
 *   is answered by fastify: 426 with `Upgrade: websocket` (`websocketRequired`).
 * - A malformed handshake on a WebSocket route (no or bad Sec-WebSocket-Key, another version, an
 *   odd Upgrade header) is answered 400 `bad_websocket_handshake`; a frame over 64 KiB closes the
 *   socket 1009; a socket error at any point ends that socket only.
 * - When the app closes, no handshake is taken any more and every open WebSocket is closed 1001
 *   (going away): fastify waits for them, and each client answers at once.
 * - Every `pingMs` each WebSocket is pinged, and one that has not answered the ping before is
 *   dropped: a kiosk that lost its power or its network leaves a half-open socket that TCP may keep
 *   for hours, and while it is open its session stays held by that screen and its subscriptions run.
 *   Browsers and the `ws` client answer pings by themselves.
 */
export function serveWebSockets(
  app: FastifyInstance,
  log: Logger,
  /** A handshake this refuses is answered with the problem, before any route (browser-guard.ts). */
  refuse?: (headers: IncomingMessage['headers']) => ApiProblem | undefined,
  pingMs: number = PING_MS,
): void {
  const routes = new WebSocketRoutes();
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
  const answered = new WeakSet<WebSocket>();
  const pinging = setInterval(() => {
    for (const client of server.clients) {
      if (!answered.has(client)) {
        client.terminate();
        continue;
      }
      answered.delete(client);
      client.ping();
    }
  }, pingMs);
  pinging.unref();

  app.addHook('onRoute', (route) => {
    if (!route.websocket) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // The HEAD route fastify adds beside each GET route shares its options.
    if (methods.every((method) => method === 'HEAD')) return;
    if (!methods.includes('GET')) throw new Error(`WebSocket route ${route.url} is not a GET route`);
    routes.add(route.url, route.websocket);
  });

  // What a malformed handshake on a WebSocket route hears, instead of ws's text/html.
  server.on('wsClientError', (error, socket, request) => {
    const version = request.headers['sec-websocket-version'];
    answer(
      socket,
      new ApiProblem(400, 'bad_websocket_handshake', 'Bad WebSocket handshake', error.message),
      version === '13' || version === '8' ? {} : { 'Sec-WebSocket-Version': '13, 8' },
    );
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node takes its own error listener off the socket before the upgrade event: without one, a
    // reset while we answer would be an uncaught error.
    socket.on('error', destroyOnError);
    const refused = refuse?.(request.headers);
    if (refused !== undefined) {
      answer(socket, refused);
      return;
    }
    const match = request.method === 'GET' ? routes.match(request.url ?? '') : undefined;
    if (match === undefined) {
      answer(
        socket,
        new ApiProblem(
          404,
          'not_a_websocket',
          'No WebSocket here',
          `WebSockets are served at ${routes.urls().join(' and ')}`,
        ),
      );
      return;
    }
    if (match instanceof ApiProblem) {
      answer(socket, match);
      return;
    }
    // ws adds its own error listener as it takes the socket.
    socket.off('error', destroyOnError);
    server.handleUpgrade(request, socket, head, (websocket) => {
      // A bad frame or a reset is reported here; with no listener it would crash the daemon.
      websocket.on('error', () => websocket.terminate());
      answered.add(websocket);
      websocket.on('pong', () => answered.add(websocket));
      const query = parseQuery(match.query);
      try {
        match.route.handler(websocket, { params: match.params, query, headers: request.headers });
      } catch (error) {
        log.error({ err: error, route: match.route.url }, 'WebSocket handler failed');
        websocket.terminate();
      }
    });
  };
  app.server.on('upgrade', onUpgrade);

  app.addHook('preClose', (done) => {
    clearInterval(pinging);
    app.server.off('upgrade', onUpgrade);
    for (const client of server.clients) client.close(1001, 'server closing');
    server.close();
    done();
  });
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** An HTTP answer on a socket taken from the HTTP server: the problem, then the connection closed. */
function answer(socket: Duplex, problem: ApiProblem, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(problem.body());
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nConnection: close\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}

/** The HTTP handler of a WebSocket route: a plain request is told to upgrade (426). */
export function websocketRequired(_request: unknown, reply: FastifyReply): FastifyReply {
  const problem = new ApiProblem(
    426,
    'websocket_required',
    'WebSocket required',
    'this resource is a WebSocket: connect with Upgrade: websocket',
  );
  return reply
    .code(426)
    .header('upgrade', 'websocket')
    .header('connection', 'Upgrade')
    .type('application/problem+json')
    .send(JSON.stringify(problem.body()));
}
