import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isLoopbackHost } from '../../core/net.js';
import { packageRoot } from '../../core/paths.js';
import { TokenAuthenticator } from '../http/auth.js';
import { browserGuard, guardedServer } from '../http/browser-guard.js';
import { clientErrorProblem, frameworkProblem } from '../http/framework-errors.js';
import { ApiProblem, problemFromError } from '../http/problem.js';
import { SHARED_STYLESHEET } from '../http/resources/dashboard.js';
import { pageRoutes } from '../http/resources/kiosk.js';
import { FleetWatcher, type FleetWatcherOptions } from './fleet-watcher.js';

export interface FleetServerOptions {
  broker: Omit<FleetWatcherOptions, 'logger' | 'clock' | 'onChange'>;
  host: string;
  port: number;
  /** How long the broker is dialled at start before start() fails with why (default 10 s). */
  connectTimeoutMs?: number;
  /** Required to bind beyond loopback: the page's calls carry it (`#token=` on the page's address). */
  token?: string;
  logger: Logger;
  clock?: Clock;
  /** Where web/fleet lives (tests). */
  web?: string;
}

/** Streams open at once; more are refused (503) so a page left open in many tabs stays bounded. */
const MAX_STREAMS = 64;
/** Changes coming in a burst (a broker handing every retained message) go out as one snapshot. */
const COALESCE_MS = 250;
/** A comment line now and then keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * `carrel fleet`: the fleet view for central IT. A read-only page (web/fleet) and its data —
 * `GET /fleet/api/desks` (the snapshot) and `GET /fleet/api/stream` (server-sent events: the
 * snapshot on connect, then a new one after each change) — built only from the desks' retained
 * MQTT state on one broker; it never talks to a desk. Loopback by default; another address
 * needs a token.
 */
export class FleetServer {
  private readonly watcher: FleetWatcher;
  private readonly clock: Clock;
  private readonly streams = new Set<FastifyReply>();
  private app: FastifyInstance | undefined;
  private pending: TimerHandle | undefined;
  private dirty = false;
  private heartbeat: TimerHandle | undefined;
  private address: string | undefined;

  constructor(private readonly options: FleetServerOptions) {
    this.clock = options.clock ?? systemClock;
    if (!isLoopbackHost(options.host) && !options.token) {
      throw new CarrelError(
        'fleet_needs_token',
        `the fleet view binds ${options.host} beyond this machine only with a token (--token or CARREL_FLEET_TOKEN)`,
      );
    }
    this.watcher = new FleetWatcher({
      ...options.broker,
      logger: options.logger.child({ module: 'fleet' }),
      clock: this.clock,
      onChange: () => this.changed(),
    });
  }

  /** The broker, without credentials. */
  get broker(): string {
    return this.watcher.where;
  }

  /** `http://host:port/fleet` once listening. */
  get url(): string | undefined {
    return this.address;
  }

  async start(): Promise<void> {
    await this.watcher.start(this.options.connectTimeoutMs);
    const app = Fastify({
      logger: false,
      return503OnClosing: true,
      forceCloseConnections: true,
      // A URL fastify or node cannot read is answered as the desk's API answers it.
      frameworkErrors: frameworkProblem,
      clientErrorHandler: clientErrorProblem,
      // Tokenless (loopback only), it is served only to this machine's own pages and clients.
      ...(this.options.token
        ? {}
        : {
            serverFactory: guardedServer(
              browserGuard(new Set(), this.options.logger.child({ module: 'fleet' })),
            ),
          }),
    });
    this.app = app;
    const auth = new TokenAuthenticator(
      this.options.token ? [{ name: 'fleet', token: this.options.token, scopes: ['monitor'] }] : [],
    );
    const authorize = (request: FastifyRequest) => auth.authorize(request.headers.authorization, ['monitor']);
    app.setErrorHandler((error, _request, reply) => {
      const problem = problemFromError(error);
      reply.status(problem.status).type('application/problem+json').send(problem.body());
    });
    // The path is not repeated, as at the desk (framework-errors.ts): it may carry a patron
    // barcode or a token (a desk's URL sent to the fleet view's host).
    app.setNotFoundHandler((request, reply) => {
      const problem = new ApiProblem(
        404,
        'not_found',
        'Not found',
        `no route answers ${request.method} at this path: the fleet view serves the page /fleet and its data at GET /fleet/api/desks and /fleet/api/stream`,
      );
      reply.code(404).type('application/problem+json').send(JSON.stringify(problem.body()));
    });
    const web = this.options.web ?? join(packageRoot(), 'web');
    pageRoutes(app, {
      mount: '/common',
      directory: join(web, 'common'),
      // The page reckons its day on this server's clock (each answer's `Date`), not the PC's.
      assets: {
        ...SHARED_STYLESHEET,
        'desk-clock.js': 'text/javascript; charset=utf-8',
        'device-words.js': 'text/javascript; charset=utf-8',
      },
      page: 'the pages’ shared stylesheet, desk clock and device words (web/common)',
    });
    pageRoutes(app, {
      mount: '/fleet',
      directory: join(web, 'fleet'),
      assets: {
        'index.html': 'text/html; charset=utf-8',
        'fleet.js': 'text/javascript; charset=utf-8',
        'fleet.css': 'text/css; charset=utf-8',
      },
      page: 'the fleet view (web/fleet)',
    });
    app.get('/', (_request, reply) => reply.redirect('/fleet'));
    app.get('/fleet/api/desks', async (request) => {
      authorize(request);
      return this.watcher.snapshot();
    });
    app.get('/fleet/api/stream', (request, reply) => {
      authorize(request);
      if (this.streams.size >= MAX_STREAMS)
        throw new ApiProblem(503, 'too_many_streams', 'Too many fleet streams', 'close another fleet page');
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      this.streams.add(reply);
      request.raw.on('close', () => this.streams.delete(reply));
      this.send(reply, this.frame());
    });
    this.heartbeat = this.clock.setInterval(
      'fleet-heartbeat',
      () => {
        for (const stream of this.streams) this.send(stream, ': still here\n\n');
      },
      HEARTBEAT_MS,
    );
    try {
      await app.listen({ host: this.options.host, port: this.options.port });
    } catch (error) {
      // Nothing may stay connected or scheduled: the command ends with this error.
      await this.stop();
      throw new CarrelError(
        'fleet_cannot_listen',
        `the fleet view cannot listen on ${this.options.host}:${this.options.port}: ${describeError(error).message}`,
      );
    }
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound ? bound.port : this.options.port;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    this.address = `http://${host}:${port}/fleet`;
  }

  async stop(): Promise<void> {
    this.pending?.cancel();
    this.heartbeat?.cancel();
    for (const stream of this.streams) stream.raw.end();
    this.streams.clear();
    await this.app?.close();
    await this.watcher.stop();
  }

  /**
   * A change goes out at once; more changes within COALESCE_MS (a broker handing every retained
   * message on connect) go out together at the end of that window.
   */
  private changed(): void {
    if (this.pending) {
      this.dirty = true;
      return;
    }
    this.push();
    this.pending = this.clock.setTimeout('fleet-push', () => this.windowEnded(), COALESCE_MS);
  }

  private windowEnded(): void {
    this.pending = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    this.push();
    this.pending = this.clock.setTimeout('fleet-push', () => this.windowEnded(), COALESCE_MS);
  }

  private push(): void {
    const frame = this.frame();
    for (const stream of this.streams) this.send(stream, frame);
  }

  private frame(): string {
    return `event: fleet\ndata: ${JSON.stringify(this.watcher.snapshot())}\n\n`;
  }

  private send(stream: FastifyReply, frame: string): void {
    if (stream.raw.destroyed || stream.raw.writableEnded) {
      this.streams.delete(stream);
      return;
    }
    // A page that stopped reading is let go rather than buffered without end.
    if (stream.raw.writableLength > 1024 * 1024) {
      stream.raw.destroy();
      this.streams.delete(stream);
      return;
    }
    stream.raw.write(frame);
  }
}
