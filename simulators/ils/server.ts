/**
 * The ILS simulator: a SIP2 2.00 server over TCP or TLS (or any duplex stream),
 * driven by a fixture, with an injectable clock, fault injection, and (with
 * `httpPort`) an HTTP control API on loopback (control-server.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { isLoopbackHost } from '../../src/core/net.js';
import { startControlServer } from './control-server.js';
import { type IlsFaults, parseIlsFaults } from './faults.js';
import { type IlsFixture, type IlsFixtureInput, loadIlsFixture, parseIlsFixture } from './fixture.js';
import { IlsLibrary } from './library.js';
import { type IlsConnectionState, IlsSession } from './session.js';

export interface IlsSimulatorOptions {
  /** A fixture file (YAML or JSON) or a fixture object. */
  fixture: string | IlsFixtureInput;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Serve SIP2 over TLS with this PEM key and certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  clock?: Clock;
  faults?: IlsFaults;
  logger?: Logger;
  /** Serve the control API (faults, state) on this port (0: any free one); none when undefined. */
  httpPort?: number;
}

export interface IlsSimulator {
  readonly port: number;
  readonly host: string;
  /** `tcp://host:port`, or `tls://host:port` with TLS. */
  readonly url: string;
  /** The live library: patrons, items, loans, holds, fees. Tests may read and change it. */
  readonly state: IlsLibrary;
  /** Open SIP2 connections. */
  readonly connections: number;
  /** SIP2 connections served since the start, open or closed: shows a client reconnecting. */
  readonly connectionsAccepted: number;
  /** Base URL of the control API (`http://127.0.0.1:port`); undefined without `httpPort`. */
  readonly controlUrl: string | undefined;
  /** Replaces the active faults (validated); `{}` clears them. */
  setFaults(faults: IlsFaults): void;
  faults(): IlsFaults;
  /** Each open SIP2 connection: logged in, reading or paused, requests waiting, bytes buffered. */
  connectionStates(): IlsConnectionState[];
  /** Closes every open SIP2 connection now (a link lost); returns how many. */
  dropConnections(): number;
  /** Serves SIP2 over any duplex stream (an in-memory pair, a pty). */
  attach(stream: Duplex): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

export async function startIlsSimulator(options: IlsSimulatorOptions): Promise<IlsSimulator> {
  const fixture: IlsFixture =
    typeof options.fixture === 'string'
      ? await loadIlsFixture(options.fixture)
      : parseIlsFixture(options.fixture);
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger()).child({ module: 'ils-sim' });
  const library = new IlsLibrary(fixture, { clock });
  let faults = parseIlsFaults(options.faults ?? {});
  const sessions = new Set<IlsSession>();
  let accepted = 0;
  const context = { library, clock, logger, faults: () => faults };

  const attach = (stream: Duplex) => {
    accepted++;
    const session = new IlsSession(stream, context, (done) => sessions.delete(done));
    sessions.add(session);
  };
  const onSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    attach(socket);
  };
  const server: Server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onSocket)
    : createServer(onSocket);
  // A failed TLS handshake is the client's problem, not ours.
  server.on('tlsClientError', (error: Error) =>
    logger.warn({ error: error.message }, 'TLS handshake failed'),
  );

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ error: error.message }, 'ILS simulator listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `${options.tls ? 'tls' : 'tcp'}://${host}:${port}`;
  logger.info({ url, patrons: library.patrons.size, items: library.items.size }, 'ILS simulator listening');

  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  const simulator: IlsSimulator = {
    port,
    host,
    url,
    get controlUrl() {
      return control?.url;
    },
    state: library,
    get connections() {
      return sessions.size;
    },
    get connectionsAccepted() {
      return accepted;
    },
    setFaults(next) {
      faults = parseIlsFaults(next);
      for (const session of sessions) session.armIdleTimer();
    },
    faults: () => ({ ...faults }),
    connectionStates: () => [...sessions].map((session) => session.state()),
    dropConnections() {
      const open = [...sessions];
      for (const session of open) session.drop('dropped through the control API');
      return open.length;
    },
    attach,
    async close() {
      await control?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.drop('simulator closing');
      await closed;
    },
  };
  if (options.httpPort !== undefined) {
    // The control API changes the library and its faults: loopback only, whatever SIP2 is bound to.
    const controlHost = isLoopbackHost(host) ? host : '127.0.0.1';
    try {
      control = await startControlServer(simulator, { host: controlHost, port: options.httpPort });
    } catch (error) {
      await simulator.close();
      throw error;
    }
  }
  return simulator;
}
