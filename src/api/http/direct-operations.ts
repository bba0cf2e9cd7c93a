import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorCodes } from 'fastify';
import FindMyWay from 'find-my-way';
import secureJson from 'secure-json-parse';
import type { BookEntry, RouteBook } from './routes.js';

/**
 * The API's operations (the RouteBook's POST, PUT and DELETE routes: checkouts, checkins,
 * payments, print releases…) answered straight on node:http, without fastify's request, reply,
 * hook runner and body parser — about a third of what a checkout cost Carrel on top of a bare
 * gateway (issue 20). The operation itself is the RouteBook's, as fastify runs it: the same
 * caller check, schemas, idempotency, handler, status, problem answers and duration metric.
 *
 * It takes only requests it answers exactly as fastify would, and leaves the rest to fastify:
 * routes are found with find-my-way, the router fastify uses, holding every route fastify holds
 * (a request fastify routes elsewhere is not taken); a body is read only when it is JSON
 * (`application/json`, utf-8) of at most the body limit; anything during shutdown goes to fastify
 * (503). Its answers carry the CORS headers fastify's hook adds (cross-origin.ts). A body that turns out
 * empty, malformed, poisoned (`__proto__`) or too long is refused with fastify's own errors.
 * `app.inject` (the tests' light-my-request) does not come through here: test/api/http/
 * direct-operations.test.ts sends the same requests both ways and compares the answers.
 */

/** An error answer: status, extra headers and the problem+json body. */
export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export interface DirectOperationsOptions {
  book: RouteBook;
  /** fastify's body limit, in bytes. */
  bodyLimit: number;
  /** The answer fastify's error handler gives to `error` (and its log line). */
  errorAnswer(error: unknown): ErrorAnswer;
  /** The request duration metric, as fastify's onResponse hook records it. */
  record(method: string, route: string, status: number, seconds: number): void;
  /** Headers fastify's onRequest hook adds for this origin (CORS, cross-origin.ts). */
  originHeaders(origin: string | undefined): Readonly<Record<string, string>>;
  /** True once the server is closing: fastify answers 503. */
  closing(): boolean;
}

/** The methods taken here: an operation's request carries its JSON body. */
const METHODS = new Set(['POST', 'PUT', 'DELETE']);
/** fastify's default router options (server.ts sets none). */
const ROUTER_OPTIONS = {
  caseSensitive: true,
  ignoreTrailingSlash: false,
  ignoreDuplicateSlashes: false,
  maxParamLength: 100,
  allowUnsafeRegex: false,
  useSemicolonDelimiter: false,
} as const;
const JSON_TYPES = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
]);
const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** What a handler may set on its answer (the RouteBook's ReplyControl), kept for the answer. */
class DirectReply {
  status: number | undefined;
  headers: Record<string, string> | undefined;

  code(status: number): this {
    this.status = status;
    return this;
  }

  header(name: string, value: string): this {
    this.headers ??= {};
    this.headers[name.toLowerCase()] = value;
    return this;
  }
}

export class DirectOperations {
  private readonly router = FindMyWay(ROUTER_OPTIONS);
  /** Requests taken here (answered, or refused as fastify would). */
  taken = 0;

  constructor(private readonly options: DirectOperationsOptions) {}

  /**
   * A route fastify was given (its onRoute hook): each is routed here too, so a request is taken
   * only when fastify would route it to the same operation; `entry` when the RouteBook made it.
   */
  route(methods: string | readonly string[], url: string, entry: BookEntry | undefined): void {
    for (const method of typeof methods === 'string' ? [methods] : methods) {
      if (!METHODS.has(method)) continue;
      this.router.on(method as 'POST', url, () => {}, entry ?? null);
    }
  }

  /** Answers `request` when it is an operation taken here; false leaves it to fastify. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const method = request.method ?? '';
    if (!METHODS.has(method) || this.options.closing()) return false;
    const type = request.headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    const declared = request.headers['content-length'];
    if (declared !== undefined && !(Number(declared) <= this.options.bodyLimit)) return false;
    const found = this.router.find(method as 'POST', request.url ?? '');
    const entry = found?.store as BookEntry | null | undefined;
    if (!found || !entry) return false;
    const extra = this.options.originHeaders(request.headers.origin);
    this.taken++;
    const started = performance.now();
    const answer = (
      status: number,
      type: string,
      body: string,
      headers?: Readonly<Record<string, string>>,
    ) => {
      const length = Buffer.byteLength(body);
      // Nearly every answer has no header of its own: one literal then, no spreads to merge.
      response.writeHead(
        status,
        headers === undefined && noHeaders(extra)
          ? { 'content-type': type, 'content-length': length }
          : { ...extra, ...headers, 'content-type': type, 'content-length': length },
      );
      response.end(body);
      this.options.record(method, entry.url, status, (performance.now() - started) / 1000);
    };
    // `kept`: headers the handler set before it failed, which fastify's answer keeps too (a refusal
    // answered again from its request id says `idempotent-replayed`).
    const refuse = (error: unknown, close = false, kept?: Readonly<Record<string, string>>) => {
      const problem = this.options.errorAnswer(error);
      // Failed while its answer was on its way: the client sees the connection end, not half an answer.
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // As fastify: a body it could not take closes the connection (the client may still be sending).
      if (close) response.shouldKeepAlive = false;
      answer(
        problem.status,
        'application/problem+json; charset=utf-8',
        problem.body,
        kept ? { ...kept, ...problem.headers } : problem.headers,
      );
    };

    // Who is calling is settled before the body is read, as the RouteBook's onRequest hook does.
    let principal: ReturnType<RouteBook['authorize']>;
    try {
      principal = this.options.book.authorize(request.headers.authorization, entry);
    } catch (error) {
      refuse(error);
      return true;
    }
    readBody(request, this.options.bodyLimit, (error, text) => {
      if (error) {
        if (error !== ABORTED) refuse(error, true);
        return;
      }
      let body: unknown;
      try {
        if (text.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
        try {
          body = parseJson(text);
        } catch {
          throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
        }
      } catch (parseError) {
        refuse(parseError, true);
        return;
      }
      const reply = new DirectReply();
      const failed = (failure: unknown) => refuse(failure, false, reply.headers);
      const done = (value: unknown) => {
        const status = reply.status === undefined || reply.status === 200 ? entry.status : reply.status;
        try {
          // Never undefined, as the RouteBook's answer.
          answer(status, 'application/json; charset=utf-8', JSON.stringify(value) ?? '', reply.headers);
        } catch (failure) {
          // What fails in sending the answer (a value JSON cannot write) is refused as fastify refuses it.
          failed(failure);
        }
      };
      try {
        const result = this.options.book.run(entry, {
          principal,
          params: found.params,
          query: found.searchParams,
          body,
          idempotencyKey: request.headers['idempotency-key'],
          reply,
        });
        // One `then` for both outcomes (a `catch` after it would be a second promise per request).
        if (result instanceof Promise) result.then(done, failed);
        else done(result);
      } catch (failure) {
        failed(failure);
      }
    });
    return true;
  }
}

const ABORTED = new Error('the request was aborted');

/**
 * A body parsed as fastify parses it (secure-json-parse, `__proto__` and `constructor.prototype`
 * refused), without its two regular expressions over the text when neither key can be in it: a
 * key is caught only as `"__proto__"` or `"constructor"`, each letter written or `\u`-escaped,
 * and a body with neither word and no `\u` at all cannot hold one; a scan for the words costs
 * next to nothing. Measured side by side (bench/node-flags-ab.js --build-a, 2026-12-07, two quiet
 * runs): one kiosk's checkouts 2,269 → 2,478 and 2,127 → 2,327 a second, CPU 192 → 180 and
 * 198 → 193 µs a checkout; at 50 and 200 kiosks and paced, within the runs' noise.
 */
function parseJson(text: string): unknown {
  if (
    text.charCodeAt(0) === 0xfeff ||
    text.includes('\\u') ||
    text.includes('__proto__') ||
    text.includes('constructor')
  )
    return secureJson.parse(text, undefined, PARSE_OPTIONS);
  return JSON.parse(text);
}

/** Whether a header record is empty (the CORS headers of a request without an allowed origin). */
function noHeaders(headers: Readonly<Record<string, string>>): boolean {
  for (const _name in headers) return false;
  return true;
}

/** The request's body as text, or fastify's 413 when it grows past `limit`. */
function readBody(
  request: IncomingMessage,
  limit: number,
  done: (error: Error | undefined, text: string) => void,
): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let finished = false;
  const finish = (error: Error | undefined) => {
    if (finished) return;
    finished = true;
    if (error) {
      // Whatever more comes is read and dropped; after `end` nothing more comes, and the request's
      // listeners go with it.
      request.removeListener('data', onData);
      done(error, '');
      return;
    }
    done(
      undefined,
      chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, length).toString('utf8'),
    );
  };
  const onData = (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    else chunks.push(chunk);
  };
  // `on`, not `once` (a wrapper and its state for each): finish acts once, and the request's
  // listeners go with it.
  const aborted = () => finish(ABORTED);
  request.on('data', onData);
  request.on('end', () => finish(undefined));
  request.on('error', aborted);
  request.on('aborted', aborted);
}
