import type net from 'node:net';
import { type Clock, systemClock } from '../../core/clock.js';
import { TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

/** How long a close waits for a destroyed socket to say it closed. */
const CLOSE_WAIT_MS = 2000;

export interface SocketLinkOptions {
  host: string;
  port: number;
  /** Give up connecting (and, for TLS, the handshake) after this long. */
  connectTimeoutMs?: number;
  /** TCP keepalive so a pulled cable is noticed. */
  keepAliveMs?: number;
  /** Times the connect timeout; the system clock when absent. */
  clock?: Clock;
}

/**
 * What TCP and TLS links share: connect with a timeout on the Clock, then
 * bytes in and out of one socket, and a socket that closes means the link is
 * lost. Subclasses say how the socket is made and which event means "ready".
 */
export abstract class SocketTransport extends BaseTransport {
  private socket: net.Socket | undefined;

  constructor(
    private readonly link: SocketLinkOptions,
    private readonly defaultConnectTimeoutMs: number,
  ) {
    super();
  }

  /** Starts connecting; the socket is ready when it emits `readyEvent`. */
  protected abstract connectSocket(): Promise<{
    socket: net.Socket;
    readyEvent: 'connect' | 'secureConnect';
  }>;

  protected doOpen(): Promise<void> {
    const { host, port, keepAliveMs = 5000 } = this.link;
    const connectTimeoutMs = this.link.connectTimeoutMs ?? this.defaultConnectTimeoutMs;
    const clock = this.link.clock ?? systemClock;
    const scheme = this.description.split(':')[0];
    return new Promise<void>((resolve, reject) => {
      let socket: net.Socket | undefined;
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        socket?.destroy();
        reject(error);
      };
      // The timer starts at once: making the socket (TLS reads its certificates) counts too.
      const timer = clock.setTimeout(
        `${scheme}-connect ${host}:${port}`,
        () =>
          fail(
            new TransportError(
              'connect_timeout',
              `${this.description}: no answer after ${connectTimeoutMs} ms`,
            ),
          ),
        connectTimeoutMs,
      );
      this.connectSocket().then(({ socket: made, readyEvent }) => {
        socket = made;
        if (settled) {
          made.destroy();
          return;
        }
        made.once('error', fail);
        made.once(readyEvent, () => {
          if (settled) return;
          settled = true;
          timer.cancel();
          made.removeAllListeners('error');
          made.setNoDelay(true);
          made.setKeepAlive(true, keepAliveMs);
          made.on('data', (chunk: Buffer) => this.received(chunk));
          made.on('error', (error) => this.lost(error));
          made.on('close', () =>
            this.lost(new TransportError('peer_closed', `${this.description}: peer closed`)),
          );
          this.socket = made;
          resolve();
        });
      }, fail);
    });
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      if (!socket) {
        reject(new TransportError('not_open', `${this.description} is not open`));
        return;
      }
      socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  protected override doSend(data: Uint8Array, failed: (error: unknown) => void): void {
    const socket = this.socket;
    if (!socket) throw new TransportError('not_open', `${this.description} is not open`);
    socket.write(data, (error) => {
      if (error) failed(error);
    });
  }

  /**
   * Destroys the socket and waits for its `close`, but never longer than CLOSE_WAIT_MS: a close()
   * (and an open() behind it) must end even if the socket never says it closed.
   */
  protected async doClose(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    const { host, port } = this.link;
    const clock = this.link.clock ?? systemClock;
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(
        `${this.description.split(':')[0]}-close ${host}:${port}`,
        resolve,
        CLOSE_WAIT_MS,
      );
      socket.once('close', () => {
        timer.cancel();
        resolve();
      });
      socket.destroy();
    });
  }
}
