/**
 * The SIP2 relay: Carrel listening as a SIP2 server (TCP, or TLS with the
 * configured certificate) so existing self-checks and returns sorters can point
 * at it instead of the ILS. Each connection is a RelaySession; the ILS link is
 * the pooled client. Bounded: connections past `maxConnections` are closed at
 * once, frames past `maxFrameSize` are dropped, idle links are dropped.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Clock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Feature } from '../feature.js';
import type { OfflineOrdering } from '../offline/index.js';
import type { Sip2RelayAccount, Sip2RelayConfig } from './config.js';
import { type RelayIlsPort, type RelayOfflineHandler, RelaySession } from './session.js';
import type { RelayTransactionListener } from './statistics.js';

export interface Sip2RelayServerOptions {
  config: Sip2RelayConfig;
  /** The ILS link (the pool: `client.pool`), used for every self-check without its own. */
  ils: RelayIlsPort;
  /** The ILS link of an account that maps to its own ILS user; `ils` when undefined. */
  ilsForAccount?: (account: Sip2RelayAccount) => RelayIlsPort | undefined;
  logger: Logger;
  clock: Clock;
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
}

export class Sip2RelayServer implements Feature {
  readonly name = 'sip2-relay';
  private server: Server | undefined;
  private readonly sessions = new Set<RelaySession>();
  private readonly logger: Logger;
  private boundPort = 0;
  private accepted = 0;

  constructor(private readonly options: Sip2RelayServerOptions) {
    this.logger = options.logger.child({ module: 'sip2-relay' });
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
      server = createTlsServer({ key, cert }, onSocket);
      server.on('tlsClientError', (error: Error) =>
        this.logger.warn({ error: error.message }, 'self-check TLS handshake failed'),
      );
    } else {
      server = createServer(onSocket);
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
    await closed;
    this.logger.info('SIP2 relay stopped');
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    if (this.sessions.size >= this.options.config.maxConnections) {
      this.logger.warn(
        { max: this.options.config.maxConnections },
        'too many self-check connections; refused',
      );
      socket.destroy();
      return;
    }
    this.attach(socket);
  }

  /** Serves one self-check over any duplex stream. */
  attach(stream: Duplex): void {
    this.accepted++;
    const { ils, ilsForAccount, clock, onOffline, onTransaction, ordering, config } = this.options;
    const session = new RelaySession(
      stream,
      {
        config,
        ilsFor: (account) => (account && ilsForAccount?.(account)) || ils,
        clock,
        logger: this.logger,
        ...(onOffline ? { onOffline } : {}),
        ...(onTransaction ? { onTransaction } : {}),
        ...(ordering ? { ordering } : {}),
      },
      (done) => this.sessions.delete(done),
    );
    this.sessions.add(session);
  }
}
