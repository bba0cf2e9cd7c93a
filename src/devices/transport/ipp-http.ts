/**
 * IPP's own transport: each request an HTTP POST of `application/ipp` to the
 * printer's path (RFC 8010 §4), the answer the response body. `ipp://` is HTTP
 * on port 631 unless a port is given, `ipps://` HTTPS. Connections are kept
 * alive (`maxConnections`, two unless said); an answer larger than
 * `maxResponseBytes` is refused, not buffered.
 *
 * `timeoutMs` runs on the desk's clock (named timers a test's fake clock moves),
 * in two parts. The answer must begin within it, counted as a whole from the
 * request: connecting, sending and the server's work, so a server that trickles
 * its status line is not waited on for ever. Once it has begun, the answer may
 * take longer — a job's document (CUPS-Get-Document) can be hundreds of MB — but
 * never pause for as long. (The socket's own idle timeout, used before, ran on
 * the wall's time and was reset by every byte: a server trickling its answer
 * held the request for ever, and a fake clock could not time it out.)
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { TimeoutError, TransportError } from '../../core/errors.js';

export interface IppHttpOptions {
  /** `ipp://host[:port]/path` or `ipps://…` (http:// and https:// are taken as they are). */
  url: string;
  /** HTTP Basic credentials, for a CUPS policy that asks who Carrel is. */
  username?: string;
  password?: string;
  /** How long the answer may take to begin, and then pause (10 s unless said). */
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Connections kept to the server at most (2): requests past them wait for one to be free. */
  maxConnections?: number;
  /** The desk's clock, whose timers `timeoutMs` are. */
  clock: Clock;
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
  /** Where each request goes, as node:http takes it: worked out once, not from the URL each poll. */
  private readonly requestOptions: http.RequestOptions;
  private readonly authorization: string | undefined;
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
    const maxSockets = options.maxConnections ?? 2;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets })
      : new http.Agent({ keepAlive: true, maxSockets });
    this.requestOptions = { ...urlToHttpOptions(this.target), method: 'POST', agent: this.agent };
    this.authorization =
      options.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
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
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    const { clock } = this.options;
    return new Promise<Buffer>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let settled = false;
      const settle = (error: Error | undefined, answer?: Buffer) => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        if (error) reject(error);
        else resolve(answer!);
      };
      const giveUp = (message: string) => req.destroy(new TimeoutError(`${this.description} ${message}`));
      const req = request({ ...this.requestOptions, headers }, (res) => {
        timer?.cancel();
        if (res.statusCode !== 200) {
          res.resume();
          const code =
            res.statusCode === 401 || res.statusCode === 403 ? 'ipp_not_authorized' : 'ipp_http_status';
          settle(new TransportError(code, `${this.description} answered HTTP ${res.statusCode}`));
          return;
        }
        const stalled = () =>
          clock.setTimeout(
            'ipp-answer-stalled',
            () => giveUp(`sent nothing more of its answer for ${this.timeoutMs} ms`),
            this.timeoutMs,
          );
        timer = stalled();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          timer?.cancel();
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
          timer = stalled();
        });
        res.on('end', () => settle(undefined, Buffer.concat(chunks)));
        res.on('error', (error) => settle(asTransportError(error, this.description)));
      });
      timer = clock.setTimeout(
        'ipp-answer-timeout',
        () => giveUp(`did not answer within ${this.timeoutMs} ms`),
        this.timeoutMs,
      );
      req.on('error', (error) => settle(asTransportError(error, this.description)));
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
