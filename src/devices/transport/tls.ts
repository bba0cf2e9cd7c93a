import { readFile } from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import { TransportError } from '../../core/errors.js';
import { type PemRole, pemProblem } from '../../core/pem.js';
import { SocketTransport } from './socket-transport.js';

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
export class TlsTransport extends SocketTransport {
  readonly description: string;

  constructor(private readonly options: TlsOptions) {
    super(options, 5000);
    this.description = `tls://${options.host}:${options.port}`;
  }

  protected async connectSocket() {
    const { host, port } = this.options;
    const [ca, cert, key] = await Promise.all([
      this.pem(this.options.caFile, this.options.ca, 'ca'),
      this.pem(this.options.certFile, this.options.cert, 'cert'),
      this.pem(this.options.keyFile, this.options.key, 'key'),
    ]);
    const servername = this.options.serverName ?? (isIpAddress(host) ? undefined : host);
    // node:tls loads with the first TLS link, not with every desk: ~1.5 MB resident (its module
    // and, read by the ESM import, the root certificates).
    const tls = await import('node:tls');
    const socket = tls.connect({
      host,
      port,
      ca,
      cert,
      key,
      servername,
      rejectUnauthorized: this.options.rejectUnauthorized ?? true,
    });
    return { socket, readyEvent: 'secureConnect' as const };
  }

  private async pem(
    file: string | undefined,
    inline: string | Buffer | undefined,
    role: PemRole,
  ): Promise<string | Buffer | undefined> {
    if (file === undefined) return inline;
    const what = PEM_WHAT[role];
    let content: Buffer;
    try {
      content = await readFile(file);
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
    const problem = pemProblem(role, content);
    if (problem !== undefined)
      throw new TransportError('tls_file', `${this.description}: the TLS ${what} file ${file} ${problem}`);
    return content;
  }
}

const PEM_WHAT: Readonly<Record<PemRole, string>> = { ca: 'CA', cert: 'certificate', key: 'key' };

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
