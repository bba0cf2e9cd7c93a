import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { type Clock, systemClock } from '../../core/clock.js';
import { TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

export interface TlsOptions {
  host: string;
  port: number;
  /** PEM file of the CA(s) to trust instead of the system's. */
  caFile?: string;
  /** PEM file of the client certificate, for servers that ask for one. */
  certFile?: string;
  /** PEM file of the client certificate's private key. */
  keyFile?: string;
  /** The same as PEM text or bytes (tests, secrets from the environment); a file wins when both are set. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name the server's certificate must carry, sent as SNI; default `host` (unless it is an IP address). */
  serverName?: string;
  /** Refuse a server whose certificate does not check out. Default true. */
  rejectUnauthorized?: boolean;
  /** Give up connecting (TCP and handshake) after this long. Default 5000. */
  connectTimeoutMs?: number;
  keepAliveMs?: number;
  clock?: Clock;
}

/** A TLS link (SIP2 over TLS to an ILS). Certificates are read from their files on each open. */
export class TlsTransport extends BaseTransport {
  readonly description: string;
  private socket: tls.TLSSocket | undefined;

  constructor(private readonly options: TlsOptions) {
    super();
    this.description = `tls://${options.host}:${options.port}`;
  }

  protected async doOpen(): Promise<void> {
    const { host, port, connectTimeoutMs = 5000, keepAliveMs = 5000 } = this.options;
    const [ca, cert, key] = await Promise.all([
      this.pem(this.options.caFile, this.options.ca, 'CA'),
      this.pem(this.options.certFile, this.options.cert, 'certificate'),
      this.pem(this.options.keyFile, this.options.key, 'key'),
    ]);
    const servername = this.options.serverName ?? (isIpAddress(host) ? undefined : host);
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({
        host,
        port,
        ca,
        cert,
        key,
        servername,
        rejectUnauthorized: this.options.rejectUnauthorized ?? true,
      });
      const clock = this.options.clock ?? systemClock;
      const timer = clock.setTimeout(
        `tls-connect ${host}:${port}`,
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
        socket.destroy();
        reject(error);
      });
      socket.once('secureConnect', () => {
        timer.cancel();
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true, keepAliveMs);
        socket.on('data', (chunk: Buffer) => this.received(chunk));
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

  private async pem(
    file: string | undefined,
    inline: string | Buffer | undefined,
    what: string,
  ): Promise<string | Buffer | undefined> {
    if (file === undefined) return inline;
    try {
      return await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new TransportError(
        'tls_file',
        `${this.description}: cannot read the TLS ${what} file ${file} (${code})`,
        {
          cause: error,
        },
      );
    }
  }
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
