/**
 * The SIP2 relay: Carrel listening as a SIP2 server (TCP, or TLS with the
 * configured certificate) so existing self-checks and returns sorters can point
 * at it instead of the ILS. Each connection is a RelaySession; the ILS link is
 * the pooled client. Bounded: at most `maxConnections`, and `maxConnectionsPerAddress`
 * from one source address; a connection that has not logged in within
 * `loginTimeoutSeconds` is closed. When a limit is reached, a new connection
 * takes the place of the oldest one not logged in (from the source with the
 * most connections first), and is refused only when every connection is logged
 * in: idle or half-open connections cannot lock the self-checks out. Frames past
 * `maxFrameSize` are dropped, idle links are dropped.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { OfflineIntake, OfflineOrdering } from '../contracts/offline.js';
import type { Feature } from '../feature.js';
import type { Sip2RelayAccount, Sip2RelayConfig } from './config.js';
import { RelayNotices } from './notices.js';
import { type IlsForRelay, type RelayOfflineHandler, RelaySession } from './session.js';
import { SourceConnectionLog } from './source-log.js';
import type { RelayTransactionListener } from './statistics.js';

export interface Sip2RelayServerOptions {
  config: Sip2RelayConfig;
  /** The ILS link (the pool: `client.pool`), used for every self-check without its own. */
  ils: IlsForRelay;
  /** The ILS link of an account that maps to its own ILS user; `ils` when undefined. */
  ilsForAccount?: (account: Sip2RelayAccount) => IlsForRelay | undefined;
  logger: Logger;
  clock: Clock;
  /**
   * The ILS's zone (the ILS device's timeZone): the self-checks keep its time, so the relay's own
   * answers are dated in it and their store-and-forward dates read in it. The machine's when unset.
   */
  timeZone?: string | undefined;
  /**
   * The library's institution id on the ILS link (the ILS device's `institution`): the relay's own
   * answers name it (AO) until a self-check has named its own.
   */
  institution?: string | undefined;
  /** Answers a request taken while the ILS is down (the offline journal); undefined refuses it. */
  onOffline?: RelayOfflineHandler;
  /**
   * Sees each relayed checkout (11), checkin (09), renew (29) and renew all
   * (65) for the desk statistics, named by the self-check's relay account.
   * A listener that throws never fails the request.
   */
  onTransaction?: RelayTransactionListener;
  /** The offline backlog each relayed request about an item or patron waits for. */
  ordering?: OfflineOrdering;
  /**
   * The offline journal, for a fee payment whose answer was lost and which the ILS cannot be asked
   * about, and a block of a patron's card while the ILS is down (whatever the offline policy).
   */
  journal?: OfflineIntake;
}

export class Sip2RelayServer implements Feature {
  readonly name = 'sip2-relay';
  private server: Server | undefined;
  private readonly sessions = new Set<RelaySession>();
  /** Open connections by source address, oldest first. */
  private readonly bySource = new Map<string, Set<RelaySession>>();
  private readonly sourceOf = new Map<RelaySession, string>();
  private readonly connectionLog: SourceConnectionLog;
  private readonly notices: RelayNotices;
  private readonly logger: Logger;
  private boundPort = 0;
  private accepted = 0;

  constructor(private readonly options: Sip2RelayServerOptions) {
    this.logger = options.logger.child({ module: 'sip2-relay' });
    this.connectionLog = new SourceConnectionLog(this.logger, options.clock);
    this.notices = new RelayNotices(options.clock);
  }

  /** The port listened on (the real one when the config says 0); 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  /** Open self-check connections. */
  get connections(): number {
    return this.sessions.size;
  }

  /** Connections accepted since start, open or closed. */
  get connectionsAccepted(): number {
    return this.accepted;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { config } = this.options;
    // Half open: a self-check that shuts its sending side is answered what it sent before the
    // link ends (the session ends it then), not cut off by Node with its answers unwritten.
    const onSocket = (socket: Socket) => this.accept(socket);
    let server: Server;
    if (config.tls) {
      let key: Buffer;
      let cert: Buffer;
      try {
        [key, cert] = await Promise.all([readFile(config.tls.keyFile), readFile(config.tls.certFile)]);
      } catch (error) {
        throw new CarrelError(
          'sip2_relay_tls',
          `cannot read the relay's TLS key or certificate: ${describeError(error).message}`,
        );
      }
      // node:tls loads when a relay serves TLS: it holds ~1.5 MB (its module, the root certificates).
      const { createServer: createTlsServer } = await import('node:tls');
      server = createTlsServer({ key, cert, allowHalfOpen: true }, onSocket);
      server.on('tlsClientError', (error: Error) =>
        this.logger.warn({ error: error.message }, 'self-check TLS handshake failed'),
      );
    } else {
      server = createServer({ allowHalfOpen: true }, onSocket);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error({ error: describeError(error) }, 'relay listener error'));
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
    this.logger.info(
      {
        host: config.host,
        port: this.boundPort,
        tls: config.tls !== undefined,
        accounts: config.accounts.length,
      },
      'SIP2 relay listening',
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of [...this.sessions]) session.drop('relay stopping');
    this.connectionLog.flush();
    await closed;
    this.logger.info('SIP2 relay stopped');
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    // One machine is one source whether it came over IPv4 or as an IPv4-mapped IPv6 address.
    const source = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const { maxConnections, maxConnectionsPerAddress } = this.options.config;
    const fromSource = this.bySource.get(source);
    if (fromSource && fromSource.size >= maxConnectionsPerAddress) {
      if (
        !this.makeRoom(fromSource, source, {
          limit: 'maxConnectionsPerAddress',
          max: maxConnectionsPerAddress,
        })
      ) {
        socket.destroy();
        return;
      }
    }
    if (this.sessions.size >= maxConnections) {
      if (
        !this.makeRoom(this.mostConnectedWaiting(), source, { limit: 'maxConnections', max: maxConnections })
      ) {
        socket.destroy();
        return;
      }
    }
    this.attach(socket, source);
  }

  /**
   * Closes the oldest connection of `candidates` that has not logged in, for a
   * new one from `source`; false (the new one refused, logged) when all are logged in.
   */
  private makeRoom(
    candidates: Iterable<RelaySession> | undefined,
    source: string,
    limit: { limit: string; max: number },
  ): boolean {
    let victim: RelaySession | undefined;
    for (const session of candidates ?? []) {
      if (!session.loggedIn) {
        victim = session;
        break;
      }
    }
    if (!victim) {
      this.connectionLog.note(source, 'refused', limit);
      return false;
    }
    this.connectionLog.note(this.sourceOf.get(victim) ?? 'unknown', 'evicted', limit);
    victim.drop('closed to make room', true);
    return true;
  }

  /** The connections of the source with the most connections that has one not logged in. */
  private mostConnectedWaiting(): Set<RelaySession> | undefined {
    let best: Set<RelaySession> | undefined;
    for (const sessions of this.bySource.values()) {
      if (best && sessions.size <= best.size) continue;
      for (const session of sessions) {
        if (!session.loggedIn) {
          best = sessions;
          break;
        }
      }
    }
    return best;
  }

  /** Serves one self-check over any duplex stream; `source` is its address (for the per-address limit). */
  attach(stream: Duplex, source = 'unknown'): void {
    this.accepted++;
    const {
      ils,
      ilsForAccount,
      clock,
      timeZone,
      institution,
      onOffline,
      onTransaction,
      ordering,
      journal,
      config,
    } = this.options;
    const session = new RelaySession(
      stream,
      {
        config,
        ilsFor: (account) => (account && ilsForAccount?.(account)) || ils,
        clock,
        logger: this.logger,
        timeZone,
        institution,
        notices: this.notices,
        onLoginTimeout: (timedOut) =>
          this.connectionLog.note(this.sourceOf.get(timedOut) ?? 'unknown', 'loginTimeout', {
            seconds: config.loginTimeoutSeconds,
          }),
        ...(onOffline ? { onOffline } : {}),
        ...(onTransaction ? { onTransaction } : {}),
        ...(ordering ? { ordering } : {}),
        ...(journal ? { journal } : {}),
      },
      (done) => this.forget(done),
    );
    this.sessions.add(session);
    this.sourceOf.set(session, source);
    let fromSource = this.bySource.get(source);
    if (!fromSource) {
      fromSource = new Set();
      this.bySource.set(source, fromSource);
    }
    fromSource.add(session);
  }

  private forget(session: RelaySession): void {
    this.sessions.delete(session);
    const source = this.sourceOf.get(session);
    this.sourceOf.delete(session);
    if (source === undefined) return;
    const fromSource = this.bySource.get(source);
    fromSource?.delete(session);
    if (fromSource?.size === 0) this.bySource.delete(source);
  }
}
