/**
 * IPP's own transport: each request an HTTP POST of `application/ipp` to the
 * printer's path (RFC 8010 §4), the answer the response body. `ipp://` is HTTP
 * on port 631 unless a port is given, `ipps://` HTTPS. Connections are kept
 * alive (two at most); a request takes at most `timeoutMs`; an answer larger
 * than `maxResponseBytes` is refused, not buffered.
 */
import http from 'node:http';
import https from 'node:https';
import { TimeoutError, TransportError } from '../../core/errors.js';

export interface IppHttpOptions {
  /** `ipp://host[:port]/path` or `ipps://…` (http:// and https:// are taken as they are). */
  url: string;
  /** HTTP Basic credentials, for a CUPS policy that asks who Carrel is. */
  username?: string;
  password?: string;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface IppEndpoint {
  /** The printer-uri to name in requests: the url as configured, ipp:// or ipps://. */
  printerUri: string;
  /** For logs and health records, without credentials. */
  description: string;
}

export class IppHttpTransport implements IppEndpoint {
  readonly printerUri: string;
  readonly description: string;
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: IppHttpOptions) {
    const parsed = new URL(options.url);
    const secure = parsed.protocol === 'ipps:' || parsed.protocol === 'https:';
    if (!['ipp:', 'ipps:', 'http:', 'https:'].includes(parsed.protocol))
      throw new TransportError('config_invalid', `not an IPP URL: ${options.url}`);
    const port = parsed.port || (parsed.protocol === 'ipp:' || parsed.protocol === 'ipps:' ? '631' : '');
    this.target = new URL(
      `${secure ? 'https' : 'http'}://${parsed.hostname}${port ? `:${port}` : ''}${parsed.pathname}`,
    );
    this.printerUri = `${secure ? 'ipps' : 'ipp'}://${parsed.hostname}:${port || (secure ? 443 : 80)}${parsed.pathname}`;
    this.description = this.printerUri;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 2 })
      : new http.Agent({ keepAlive: true, maxSockets: 2 });
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 300 * 1024 * 1024;
  }

  /** POSTs one IPP request; resolves with the IPP response bytes. */
  exchange(body: Uint8Array): Promise<Buffer> {
    const secure = this.target.protocol === 'https:';
    const request = (secure ? https : http).request;
    const headers: Record<string, string> = {
      'content-type': 'application/ipp',
      'content-length': String(body.length),
    };
    if (this.options.username !== undefined) {
      const credentials = `${this.options.username}:${this.options.password ?? ''}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    return new Promise<Buffer>((resolve, reject) => {
      const req = request(this.target, { method: 'POST', agent: this.agent, headers }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          const code =
            res.statusCode === 401 || res.statusCode === 403 ? 'ipp_not_authorized' : 'ipp_http_status';
          reject(new TransportError(code, `${this.description} answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) {
            req.destroy(
              new TransportError(
                'ipp_too_large',
                `${this.description} answered more than ${this.maxResponseBytes} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', (error) => reject(asTransportError(error, this.description)));
      });
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new TimeoutError(`${this.description} did not answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', (error) => reject(asTransportError(error, this.description)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function asTransportError(error: Error, where: string): Error {
  if (error instanceof TransportError || error instanceof TimeoutError) return error;
  const errno = (error as NodeJS.ErrnoException).code;
  return new TransportError(errno ? errno.toLowerCase() : 'ipp_unreachable', `${where}: ${error.message}`, {
    cause: error,
  });
}
