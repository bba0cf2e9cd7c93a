import Fastify, { errorCodes, type FastifyInstance } from 'fastify';
import { type Clock, systemClock } from '../../core/clock.js';
import { CarrelError, isStorageFault } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isLoopbackHost } from '../../core/net.js';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import type { Feature } from '../../gateway/feature.js';
import { deskApiModules, problemsOf, publicEventOf } from '../desk-api.js';
import { type ApiModule, addHttpRoutes, eventsOf } from '../operations.js';
import { TokenAuthenticator, type TokenConfig } from './auth.js';
import { apiServer, browserGuard } from './browser-guard.js';
import { allowCrossOrigin, crossOriginHeaders } from './cross-origin.js';
import { DirectOperations, type ErrorAnswer } from './direct-operations.js';
import { clientErrorProblem, frameworkProblem } from './framework-errors.js';
import { ApiMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { ApiProblem, type ProblemTable, problemFromError } from './problem.js';
import { dashboardRoutes } from './resources/dashboard.js';
import { docsRoutes } from './resources/docs.js';
import { eventRoutes } from './resources/events.js';
import { healthRoutes } from './resources/health.js';
import { kioskRoutes } from './resources/kiosk.js';
import { measureRoutes } from './resources/measures.js';
import { offlineRoutes } from './resources/offline.js';
import { paymentRoutes } from './resources/payments.js';
import { reportRoutes } from './resources/reports.js';
import { sessionRoutes } from './resources/sessions.js';
import { statsRoutes } from './resources/stats.js';
import { RouteBook } from './routes.js';
import { serveWebSockets } from './websocket-upgrades.js';

export interface HttpApiOptions {
  services: DeskServices;
  logger: Logger;
  tokens: readonly TokenConfig[];
  version: string;
  /** The device families' API modules (from the family list), served with the desk's own resources. */
  modules: readonly ApiModule[];
  /** Pages on other origins that may call the API from a browser (`http.allowedOrigins`, cross-origin.ts). */
  allowedOrigins?: readonly string[];
  /** Extra routes (pages, later resources) registered by the composition root. */
  extend?: (app: FastifyInstance, book: RouteBook) => void;
  /** How often WebSockets are pinged (a peer that does not answer is dropped); 30 s by default. */
  webSocketPingMs?: number;
  /** Operations answered on node:http without fastify's layers (direct-operations.ts); on by default. */
  directOperations?: boolean;
}

export interface HttpApi {
  app: FastifyInstance;
  book: RouteBook;
  metrics: ApiMetrics;
  direct: DirectOperations;
  /** Every route fastify holds (method and URL pattern, and whether it is a WebSocket), as registered. */
  routes: ReadonlyArray<{ method: string; url: string; websocket: boolean }>;
}

/** Builds the fastify app with every resource; does not listen. */
export async function buildHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const log = options.logger.child({ module: 'http' });
  const auth = new TokenAuthenticator(options.tokens);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const metrics = new ApiMetrics(options.services, options.modules);
  // Tokenless, it is served only to this machine's own pages and clients (browser-guard.ts).
  const guard = auth.enabled
    ? undefined
    : browserGuard(allowedOrigins, log, { counted: (reason) => metrics.refusedRequests.inc({ reason }) });
  const modules = deskApiModules(options.modules);
  const familyProblems = problemsOf(modules);
  const book = new RouteBook(auth);
  let closing = false;
  const direct = new DirectOperations({
    book,
    bodyLimit: BODY_LIMIT,
    errorAnswer: (error) => errorAnswer(error, familyProblems, log),
    record: (method, route, status, seconds) => metrics.httpDuration.record(method, route, status, seconds),
    originHeaders: (origin) => crossOriginHeaders(allowedOrigins, origin),
    closing: () => closing,
  });
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: frameworkProblem,
    clientErrorHandler: clientErrorProblem,
    serverFactory: apiServer(
      guard,
      options.directOperations === false
        ? () => false
        : (request, response) => direct.handle(request, response),
    ),
  });
  // fetch() sends a string body given no Content-Type as text/plain, and fastify read it as a string,
  // refused 400 as if the fields were wrong: JSON sent so is refused 415 as any other type, saying to
  // send application/json. A route that takes no body answers it as it answers a POST without one.
  // (The direct path takes only JSON and never sees it.)
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, _text, done) => {
    const entry = book.entryOf(request.method, request.routeOptions.url ?? '');
    if (entry !== undefined && entry.body === undefined) done(null, undefined);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  });
  // Every route fastify holds is routed by the direct path too; an operation of the RouteBook
  // registered on the root (no hooks or error handler of a scope of its own) is taken there.
  const routes: Array<{ method: string; url: string; websocket: boolean }> = [];
  app.addHook('onRoute', function (route) {
    for (const method of [route.method].flat())
      routes.push({ method: String(method), url: route.url, websocket: Boolean(route.websocket) });
    const entry = this === app ? book.entryOf(String(route.method), route.url) : undefined;
    direct.route(route.method, route.url, entry);
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.record(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setErrorHandler((error, _request, reply) => {
    const answer = errorAnswer(error, familyProblems, log);
    reply.headers(answer.headers).code(answer.status).type('application/problem+json').send(answer.body);
  });

  // The path is not repeated (framework-errors.ts): it may carry a patron barcode or a token.
  app.setNotFoundHandler((request, reply) => {
    const problem = new ApiProblem(
      404,
      'not_found',
      'Not found',
      `no route answers ${request.method} at this path: /docs lists the API's routes`,
    );
    reply.code(404).type('application/problem+json').send(JSON.stringify(problem.body()));
  });

  // Before any route: the WebSocket routes are taken from every route registered after this.
  serveWebSockets(app, log, guard, options.webSocketPingMs);
  allowCrossOrigin(app, allowedOrigins);

  healthRoutes(app, book, options.services, auth);
  addHttpRoutes(app, modules, { services: options.services, auth, book });
  statsRoutes(app, book, options.services.statistics);
  measureRoutes(app, book, options.services);
  offlineRoutes(app, book, options.services);
  sessionRoutes(app, book, options.services, auth, log);
  paymentRoutes(app, book, options.services, auth, log);
  eventRoutes(app, book, options.services, auth, log, publicEventOf(modules));
  options.extend?.(app, book);

  app.get('/metrics', async (request, reply) => {
    auth.authorize(request.headers.authorization, ['monitor']);
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let openApi: object | undefined;
  docsRoutes(app, () => {
    openApi ??= buildOpenApi(book, {
      version: options.version,
      authEnabled: auth.enabled,
      events: eventsOf(modules),
    });
    return openApi;
  });
  kioskRoutes(app);
  dashboardRoutes(app);
  reportRoutes(app);

  return { app, book, metrics, direct, routes };
}

/** Largest request body (a JSON request; card photos have a limit of their own). */
const BODY_LIMIT = 256 * 1024;

/**
 * A body of a type the desk does not take (a form post, XML): what it takes, in words. The
 * Content-Type sent is not repeated (fastify 4's message did): a script may fill it with anything.
 */
const UNSUPPORTED_MEDIA_TYPE = new ApiProblem(
  415,
  'unsupported_media_type',
  'Unsupported media type',
  'the request body must be JSON, sent with Content-Type: application/json; nothing was done',
);

/** The problem+json answer to what a request failed with, and its log line when it is ours or the disk's. */
function errorAnswer(error: unknown, familyProblems: ProblemTable, log: Logger): ErrorAnswer {
  let problem: ApiProblem;
  if (error instanceof ApiProblem || error instanceof CarrelError) {
    problem = problemFromError(error, familyProblems);
  } else if (typeof (error as { statusCode?: unknown }).statusCode === 'number') {
    // fastify's own errors: bad JSON, body too large, wrong content type.
    const fastifyError = error as { statusCode: number; code?: string; message: string };
    const status = fastifyError.statusCode;
    problem =
      status === 415
        ? UNSUPPORTED_MEDIA_TYPE
        : new ApiProblem(
            status,
            status === 413 ? 'payload_too_large' : 'invalid_request',
            status === 413 ? 'Request body too large' : 'Invalid request',
            fastifyError.message,
          );
  } else {
    problem = problemFromError(error, familyProblems);
  }
  if (problem.status >= 500 && problem.code === 'internal') log.error({ err: error }, 'request failed');
  // The database failing (a full disk, a file system gone read-only) is for IT to see, not only the caller.
  else if (isStorageFault(error)) log.error({ code: error.code, reason: error.message }, 'request failed');
  return {
    status: problem.status,
    headers: problem.status === 401 ? UNAUTHORIZED_HEADERS : NO_HEADERS,
    body: JSON.stringify(problem.body()),
  };
}

const UNAUTHORIZED_HEADERS = { 'www-authenticate': 'Bearer realm="carrel"' };
const NO_HEADERS = {};

/**
 * How long a stopping API waits for the requests under way to be answered before it cuts their
 * connections (5 s). A checkout waiting on a hung ILS would otherwise hold the stop until the ILS
 * link closes — which is stopped after the API —, and its kept-alive connection the process after
 * that, past systemd's TimeoutStopSec (20 s). A request cut so is one the kiosk sends again with
 * its request id, and is told then whether it happened.
 */
export const HTTP_STOP_GRACE_MS = 5_000;

export interface HttpFeatureOptions extends HttpApiOptions {
  host: string;
  port: number;
  /** The desk's clock, whose timer the stop's grace (stopGraceMs, HTTP_STOP_GRACE_MS) is. */
  clock?: Clock;
  stopGraceMs?: number;
  /** Called with the bound address once listening. */
  onListening?: (url: string) => void;
}

/** The HTTP API as a gateway feature. Refuses a non-loopback address without tokens. */
export function httpFeature(options: HttpFeatureOptions): Feature & { url(): string | undefined } {
  let api: HttpApi | undefined;
  let url: string | undefined;
  return {
    name: 'http',
    // The desk's API: a Carrel that cannot serve it does not start.
    essential: true,
    url: () => url,
    async start() {
      if (!isLoopbackHost(options.host) && options.tokens.length === 0) {
        throw new CarrelError(
          'insecure_bind',
          `refusing to serve the API on ${options.host} with no tokens configured: add auth.tokens or bind 127.0.0.1`,
        );
      }
      api = await buildHttpApi(options);
      try {
        await api.app.listen({ host: options.host, port: options.port });
      } catch (error) {
        await api.app.close().catch(() => {});
        api = undefined;
        throw error;
      }
      const address = api.app.server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      url = `http://${host}:${port}`;
      options.onListening?.(url);
    },
    async stop() {
      const running = api;
      if (!running) return;
      // No new requests (503, connections not kept alive); those under way get a grace to be answered.
      const closed = running.app.close();
      const graceMs = options.stopGraceMs ?? HTTP_STOP_GRACE_MS;
      const enough = new AbortController();
      const answered = await Promise.race([
        closed.then(() => true),
        (options.clock ?? systemClock).sleep(graceMs, enough.signal).then(
          () => false,
          () => true,
        ),
      ]);
      enough.abort();
      if (!answered) {
        options.logger
          .child({ module: 'http' })
          .warn(
            `requests still unanswered ${graceMs} ms after the API began to stop: their connections are closed`,
          );
        running.app.server.closeAllConnections();
        await closed;
      }
      api = undefined;
    },
  };
}
