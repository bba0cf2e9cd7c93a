import { EventEmitter } from 'node:events';
import net from 'node:net';
import { TransportError } from '../../core/errors.js';
import { sourceAddress } from '../../core/net.js';
import { BaseTransport } from './base-transport.js';
import type { Transport } from './transport.js';

/** Where an accepted connection comes from; `address` without an IPv4-mapped `::ffff:` prefix. */
export interface PeerAddress {
  address: string;
  port: number;
}

/**
 * A server that devices connect to (a FEIG gate in notification mode dials out to its host).
 * Each accepted connection is handed over as an open Transport: bytes flow from the moment a
 * `data` listener is added, so a connection handler that attaches its listeners before it
 * returns misses nothing. After `close` such a transport cannot be opened again.
 */
export interface ConnectionListener {
  readonly description: string;
  /** Starts listening; resolves with where (port 0 = a free port). */
  listen(): Promise<{ host: string; port: number }>;
  /** Stops listening and closes every accepted connection. */
  close(): Promise<void>;
  on(event: 'connection', listener: (link: Transport, peer: PeerAddress) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface TcpListenerOptions {
  host: string;
  port: number;
  /** TCP keepalive on accepted connections, so a pulled cable is noticed. */
  keepAliveMs?: number;
}

export class TcpListener extends EventEmitter implements ConnectionListener {
  readonly description: string;
  private server: net.Server | undefined;
  private listening: Promise<{ host: string; port: number }> | undefined;
  private readonly accepted = new Set<AcceptedTcpTransport>();

  constructor(private readonly options: TcpListenerOptions) {
    super();
    this.description = `tcp-listen://${options.host}:${options.port}`;
  }

  listen(): Promise<{ host: string; port: number }> {
    this.listening ??= new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', (error) => {
        this.listening = undefined;
        reject(
          new TransportError('listen_failed', `${this.description}: ${error.message}`, { cause: error }),
        );
      });
      server.listen(this.options.port, this.options.host, () => {
        server.removeAllListeners('error');
        server.on('error', (error) => this.emit('error', error));
        this.server = server;
        const { port } = server.address() as net.AddressInfo;
        resolve({ host: this.options.host, port });
      });
    });
    return this.listening;
  }

  async close(): Promise<void> {
    const listening = this.listening;
    this.listening = undefined;
    if (listening) await listening.catch(() => {});
    const server = this.server;
    this.server = undefined;
    await Promise.all([...this.accepted].map((link) => link.close()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.pause();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.options.keepAliveMs ?? 5000);
    const peer = { address: sourceAddress(socket.remoteAddress ?? 'unknown'), port: socket.remotePort ?? 0 };
    const link = new AcceptedTcpTransport(socket, peer);
    this.accepted.add(link);
    link.on('close', () => this.accepted.delete(link));
    link.open().then(
      () => this.emit('connection', link, peer),
      () => this.accepted.delete(link),
    );
  }
}

/** One accepted TCP connection as a Transport. */
class AcceptedTcpTransport extends BaseTransport {
  readonly description: string;
  private flowing = false;

  constructor(
    private readonly socket: net.Socket,
    peer: PeerAddress,
  ) {
    super();
    this.description = `tcp://${peer.address}:${peer.port}`;
    // Bytes start flowing once someone listens for them (the socket waits paused until then);
    // the socket delivers them on a later tick, after the listener is in place.
    this.on('newListener', (event) => {
      if (event === 'data') this.startFlowing();
    });
  }

  protected async doOpen(): Promise<void> {
    if (this.socket.destroyed) throw new TransportError('peer_closed', `${this.description}: peer closed`);
    this.socket.on('error', (error) => this.lost(error));
    this.socket.on('close', () =>
      this.lost(new TransportError('peer_closed', `${this.description}: peer closed`)),
    );
    queueMicrotask(() => {
      if (this.listenerCount('data') > 0) this.startFlowing();
    });
  }

  private startFlowing(): void {
    if (this.flowing || !this.isOpen) return;
    this.flowing = true;
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.resume();
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new TransportError('peer_closed', `${this.description}: peer closed`));
        return;
      }
      this.socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  protected async doClose(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}
