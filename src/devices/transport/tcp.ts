import net from 'node:net';
import { type Clock, systemClock } from '../../core/clock.js';
import { TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Give up connecting after this long. */
  connectTimeoutMs?: number;
  /** TCP keepalive so a pulled cable is noticed. */
  keepAliveMs?: number;
  /** Times the connect timeout; the system clock when absent. */
  clock?: Clock;
}

/** A raw TCP link (printer port 9100, reader port 10001, …). */
export class TcpTransport extends BaseTransport {
  readonly description: string;
  private socket: net.Socket | undefined;

  constructor(private readonly options: TcpOptions) {
    super();
    this.description = `tcp://${options.host}:${options.port}`;
  }

  protected doOpen(): Promise<void> {
    const { host, port, connectTimeoutMs = 3000, keepAliveMs = 5000 } = this.options;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const clock = this.options.clock ?? systemClock;
      const timer = clock.setTimeout(
        `tcp-connect ${host}:${port}`,
        () => {
          socket.destroy();
          reject(
            new TransportError(
              'connect_timeout',
              `${this.description}: no answer after ${connectTimeoutMs} ms`,
            ),
          );
        },
        connectTimeoutMs,
      );
      socket.once('error', (error) => {
        timer.cancel();
        reject(error);
      });
      socket.once('connect', () => {
        timer.cancel();
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true, keepAliveMs);
        socket.on('data', (chunk) => this.received(chunk));
        socket.on('error', (error) => this.lost(error));
        socket.on('close', () =>
          this.lost(new TransportError('peer_closed', `${this.description}: peer closed`)),
        );
        this.socket = socket;
        resolve();
      });
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

  protected async doClose(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
