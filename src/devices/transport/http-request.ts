/**
 * One HTTP request and its whole answer, over node:http or node:https by the URL, for a JSON
 * API (Koha's REST API). A connection of its own per request, so no kept-alive socket the
 * server has since closed is written to. Node 20's fetch was not enough: a server that closed
 * the connection before it read the request left the fetch unsettled until its timeout (and
 * for ever with nothing else keeping Node alive); here that is an `HttpRequestError` at once.
 */
import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../../core/clock.js';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequestOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange, connecting to the last byte of the answer. */
  timeoutMs: number;
  /** The desk's clock, whose timer `timeoutMs` is (a test's fake clock moves it by hand). */
  clock: Clock;
  /** The longest answer body taken (4 MiB unless said): a longer one is `too_large`. */
  maxBytes?: number;
}

const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Why a request got no whole answer. `code`: `timeout`; `closed` (the server closed the
 * connection before it answered), `cut` (before its answer's end); `too_large` (an answer past
 * `maxBytes`, not read on); or the system's errno (`ECONNREFUSED`, …).
 */
export class HttpRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code === 'timeout' ? 'TimeoutError' : 'HttpRequestError';
  }
}

export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise<HttpAnswer>((resolve, reject) => {
    let answered = false;
    const fail = (error: HttpRequestError) => {
      if (answered) return;
      answered = true;
      timer.cancel();
      req.destroy();
      reject(error);
    };
    const req = request(url, { method: options.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const maxBytes = options.maxBytes ?? MAX_BYTES;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes)
          fail(new HttpRequestError('too_large', `the server's answer was longer than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (answered) return;
        answered = true;
        timer.cancel();
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      // The connection closed before the answer's end: the answer is not whole.
      res.on('close', () => {
        if (!res.complete && !answered)
          fail(new HttpRequestError('cut', 'the server closed the connection before its answer ended'));
      });
    });
    const timer = options.clock.setTimeout(
      'http-request-timeout',
      () => fail(new HttpRequestError('timeout', `no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // 'socket hang up': the server closed (or reset) the connection before any answer.
      if (error.code === 'ECONNRESET' || error.message === 'socket hang up') fail(closed(error));
      else fail(new HttpRequestError(error.code ?? 'failed', error.message, { cause: error }));
    });
    req.end(options.body);
  });
}

function closed(cause?: unknown): HttpRequestError {
  return new HttpRequestError('closed', 'the server closed the connection without answering', { cause });
}
