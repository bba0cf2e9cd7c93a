/**
 * The host side of FEIG notification mode: gates connect OUT to Carrel, so Carrel listens.
 * One listener serves every gate on its port; each gate driver routes its configured source
 * address here, and an accepted connection goes to the driver whose address it comes from.
 * The routed addresses are the allow-list: a connection from any other address is closed at
 * once and logged — the first from a source straight away, the rest counted into one line
 * per source per window (a scanner knocking 500 times is two lines).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { sourceAddress } from '../../core/net.js';
import type { ConnectionListener, PeerAddress } from '../transport/tcp-listener.js';
import type { Transport } from '../transport/transport.js';
import { GateError } from './errors.js';

/** What a gate driver gives the listener: it takes over each connection from its address. */
export interface NotificationRoute {
  accept(link: Transport, peer: PeerAddress): void;
}

export interface NotificationListenerOptions {
  listener: ConnectionListener;
  clock: Clock;
  logger: Logger;
  /** One log line per refused source per window. Default 60 s. */
  refusalLogWindowMs?: number;
  /** Sources whose refusals are counted apart; past this they share one entry. Default 256. */
  maxLoggedSources?: number;
}

interface RefusalWindow {
  count: number;
  timer: TimerHandle;
}

const OTHER_SOURCES = 'other sources';

export class NotificationListener {
  private readonly routes = new Map<string, NotificationRoute>();
  private readonly windows = new Map<string, RefusalWindow>();
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly maxSources: number;
  private started: Promise<{ host: string; port: number }> | undefined;
  /** Where it listens, once it does; undefined before, and after stop. */
  bound: { host: string; port: number } | undefined;
  /** Connections refused since start. */
  refused = 0;

  constructor(private readonly options: NotificationListenerOptions) {
    this.logger = options.logger.child({ module: 'gate-notifications' });
    this.windowMs = Math.max(1, options.refusalLogWindowMs ?? 60_000);
    this.maxSources = Math.max(1, options.maxLoggedSources ?? 256);
    options.listener.on('connection', (link, peer) => this.onConnection(link, peer));
    options.listener.on('error', (error) =>
      this.logger.error({ err: { message: error.message } }, 'gate notification listener failed'),
    );
  }

  get description(): string {
    return this.options.listener.description;
  }

  /** Starts listening (once; later calls share the first). */
  start(): Promise<{ host: string; port: number }> {
    if (!this.started) {
      this.started = this.options.listener.listen().then((where) => {
        this.bound = where;
        this.logger.info({ listen: `${where.host}:${where.port}` }, 'listening for gate notifications');
        return where;
      });
      this.started.catch(() => {
        this.started = undefined;
      });
    }
    return this.started;
  }

  async stop(): Promise<void> {
    this.started = undefined;
    this.bound = undefined;
    for (const key of [...this.windows.keys()]) this.closeWindow(key, false);
    await this.options.listener.close();
  }

  /** Sends connections from `address` to `route` until the returned function is called. */
  route(address: string, route: NotificationRoute): () => void {
    const key = sourceAddress(address);
    const existing = this.routes.get(key);
    if (existing && existing !== route)
      throw new GateError('gate_address_taken', `another gate already receives notifications from ${key}`);
    this.routes.set(key, route);
    return () => {
      if (this.routes.get(key) === route) this.routes.delete(key);
    };
  }

  /** The allow-list: addresses with a gate behind them. */
  allowed(): string[] {
    return [...this.routes.keys()];
  }

  private onConnection(link: Transport, peer: PeerAddress): void {
    const route = this.routes.get(sourceAddress(peer.address));
    if (route) {
      route.accept(link, peer);
      return;
    }
    this.refused++;
    void link.close();
    this.noteRefusal(peer.address);
  }

  private noteRefusal(source: string): void {
    const key = this.windows.has(source) || this.windows.size < this.maxSources ? source : OTHER_SOURCES;
    const open = this.windows.get(key);
    if (open) {
      open.count++;
      return;
    }
    this.logger.warn(
      { source: key },
      'gate notification connection refused: address not on the allow-list (more from it are counted)',
    );
    this.openWindow(key);
  }

  private openWindow(key: string): void {
    this.windows.set(key, {
      count: 0,
      timer: this.options.clock.setTimeout(
        'gate-notification-refusals',
        () => this.closeWindow(key),
        this.windowMs,
      ),
    });
  }

  private closeWindow(key: string, again = true): void {
    const window = this.windows.get(key);
    if (!window) return;
    window.timer.cancel();
    this.windows.delete(key);
    if (window.count === 0) return;
    this.logger.warn(
      { source: key, refused: window.count, seconds: Math.round(this.windowMs / 1000) },
      'more gate notification connections refused: address not on the allow-list',
    );
    if (again) this.openWindow(key);
  }
}
