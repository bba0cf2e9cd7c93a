import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { schemaHasField } from '../../gateway/config/schema-keys.js';
import { bodyWithIdempotencyKey, IDEMPOTENCY_KEY_HEADER } from '../request-ids.js';
import { fieldsOf, MAX_DATA_DEPTH, meantField, nestedDeeperThan, unknownFields } from '../request-shape.js';
import { withUnionsExpanded } from '../schema-issues.js';
import type { Access, Principal, TokenAuthenticator } from './auth.js';
import { ApiProblem } from './problem.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Where a route's onRequest hook leaves the caller for its handler (a request decorator: no WeakMap, no shape change). */
const PRINCIPAL = 'carrelPrincipal';
type AuthorizedRequest = FastifyRequest & { [PRINCIPAL]?: Principal | null };

/** What a handler may set on its HTTP answer: another status, a header. */
export interface ReplyControl {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  /**
   * Absent when the operation is called over MQTT, and for POST, PUT and DELETE requests taken
   * by the direct path (direct-operations.ts): only reads (a CSV report) look at it.
   */
  request?: FastifyRequest;
  /**
   * Over MQTT only the `Idempotent-Replayed` header is heard (the answer's `replayed: true`);
   * codes and other headers go nowhere.
   */
  reply?: ReplyControl;
}

/** What every route of the OpenAPI document has: where it is, its name and who may call it. */
export interface RouteHead {
  method: Method;
  /** fastify syntax: `/api/v1/devices/:id` */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>
  extends RouteHead {
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** HTTP status of a success (200 unless said). */
  status?: number;
  /** Problem codes this route can answer with, for the OpenAPI document. */
  problems?: number[];
  /**
   * Other statuses answered with the success's own body (not a problem), each with what it means,
   * for the OpenAPI document: a readiness report that is not ready is still the report, with 503.
   */
  alsoAnswers?: Readonly<Record<number, string>>;
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<z.infer<R>> | z.infer<R>;
}

export interface BookEntry {
  method: Method;
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status: number;
  problems: number[];
  alsoAnswers?: Readonly<Record<number, string>>;
  /** Its body takes a `requestId`, which the `Idempotency-Key` header may carry instead. */
  idempotencyKey: boolean;
  /** The fields its body names, any other refused; undefined for a body of any fields, or none. */
  bodyFields?: ReadonlySet<string> | undefined;
  handler: (input: RouteInput<unknown, unknown, unknown>) => unknown;
}

/**
 * A route registered on its own, outside the book, because it takes or answers other than JSON (a
 * photo's bytes, a PNG): described here for the OpenAPI document only, so a client finds it there.
 */
export interface DescribedRoute extends RouteHead {
  query?: z.ZodType;
  /** The body: a JSON schema, or other media types taken as they are (a photo). */
  body: { schema: z.ZodType } | { mediaTypes: readonly string[]; description: string };
  /** The success: its status, media type, and headers of its own (name → what it says, its JSON schema). */
  success: {
    status: number;
    description: string;
    mediaType: string;
    schema?: z.ZodType;
    headers?: Readonly<Record<string, { description: string; schema: Readonly<Record<string, unknown>> }>>;
  };
  /** Problem statuses it can answer with. */
  problems: number[];
}

/**
 * A WebSocket route (registered with `websocket`, outside the book), described for the OpenAPI
 * document as the GET of its handshake: its path and query, the 101 that opens it, what it sends.
 */
export interface SocketRoute extends Omit<RouteHead, 'method'> {
  params?: z.ZodType;
  /** The query it reads besides `access_token` (which every socket with a token takes). */
  query?: z.ZodType;
  /** What it sends, each message one JSON text frame: in words, and the schema of one message. */
  messages: { description: string; schema: z.ZodType };
  /** The close codes it ends with, beyond the protocol's own (1001 stopping, 1009 too big), and why. */
  closeCodes: Readonly<Record<number, string>>;
}

/** A request to an operation, as read by fastify or by the direct path (direct-operations.ts). */
export interface RouteCall {
  principal: Principal;
  params: unknown;
  query: unknown;
  body: unknown;
  /** The `Idempotency-Key` header. */
  idempotencyKey: string | string[] | undefined;
  reply: ReplyControl;
  request?: FastifyRequest;
}

/**
 * The routes of the API, each defined once: the zod schemas validate requests
 * and also generate the OpenAPI document, so the two cannot drift apart.
 */
export class RouteBook {
  readonly entries: BookEntry[] = [];
  /** Routes registered on their own (`describe`), in the OpenAPI document beside the entries. */
  readonly described: DescribedRoute[] = [];
  /** WebSocket routes (`describeSocket`), in the OpenAPI document as their handshakes. */
  readonly sockets: SocketRoute[] = [];
  private readonly byRoute = new Map<string, BookEntry>();

  constructor(private readonly auth: TokenAuthenticator) {}

  /** Puts a route registered outside the book (it answers a PNG, takes a photo) in the OpenAPI document. */
  describe(route: DescribedRoute): void {
    this.described.push(route);
  }

  /** Puts a WebSocket route in the OpenAPI document. */
  describeSocket(route: SocketRoute): void {
    this.sockets.push(route);
  }

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    app: FastifyInstance,
    spec: RouteSpec<P, Q, B, R>,
  ): void {
    const status = spec.status ?? 200;
    const idempotencyKey = spec.body !== undefined && schemaHasField(spec.body, 'requestId');
    const entry: BookEntry = {
      ...spec,
      status,
      problems: spec.problems ?? [],
      idempotencyKey,
      bodyFields: spec.body === undefined ? undefined : fieldsOf(spec.body),
      handler: spec.handler as BookEntry['handler'],
    };
    this.entries.push(entry);
    this.byRoute.set(`${spec.method} ${spec.url}`, entry);
    if (!app.hasRequestDecorator(PRINCIPAL)) app.decorateRequest(PRINCIPAL, null);
    app.route({
      method: spec.method,
      url: spec.url,
      // Who is calling is settled before the body is even read: 401/403 come before any 400.
      // A callback hook, not an async one: no promise per request for a synchronous check.
      onRequest: (request, _reply, done) => {
        let principal: Principal;
        try {
          principal = this.authorize(request.headers.authorization, entry);
        } catch (error) {
          done(error as Error);
          return;
        }
        (request as AuthorizedRequest)[PRINCIPAL] = principal;
        done();
      },
      // Not an async function: a synchronous answer is sent as it is, an asynchronous one is one `then`
      // (fastify answers what a handler throws as it answers a rejection).
      handler: (request, reply) => {
        const result = this.run(entry, {
          principal:
            (request as AuthorizedRequest)[PRINCIPAL] ?? this.authorize(request.headers.authorization, entry),
          params: request.params,
          query: request.query,
          body: request.body,
          idempotencyKey: request.headers[IDEMPOTENCY_KEY_HEADER],
          reply,
          request,
        });
        return result instanceof Promise
          ? result.then((value) => answer(reply, status, value))
          : answer(reply, status, result);
      },
    });
  }

  /** The RouteBook's entry fastify was given for this method and URL pattern. */
  entryOf(method: string, url: string): BookEntry | undefined {
    return this.byRoute.get(`${method} ${url}`);
  }

  /** The caller, when allowed to call `entry`; throws the 401/403 problem otherwise. */
  authorize(header: string | undefined, entry: BookEntry): Principal {
    return this.auth.authorize(header, entry.access);
  }

  /** The operation on a request: path, query and body validated, then its handler; its result or promise. */
  run(entry: BookEntry, call: RouteCall): unknown {
    const params = parse(entry.params, call.params, 'path');
    const query = parse(entry.query, call.query, 'query');
    if (entry.bodyFields) refuseUnknownFields(call.body, entry.bodyFields);
    // An operation's own work (its request id's fingerprint, a receipt template) walks the body
    // by recursion: a body of thousands of levels would overflow the stack (an answer 500).
    if (entry.body && nestedDeeperThan(call.body, MAX_DATA_DEPTH))
      throw new ApiProblem(400, 'invalid_request', 'Invalid request', 'the body is not valid', [
        {
          path: 'body',
          message: `nested too deep: at most ${MAX_DATA_DEPTH} levels of objects and arrays within each other; nothing was done`,
        },
      ]);
    const body = parse(
      entry.body,
      entry.idempotencyKey ? bodyWithIdempotencyKey(call.body, call.idempotencyKey) : call.body,
      'body',
    );
    return entry.handler({
      params,
      query,
      body,
      principal: call.principal,
      reply: call.reply,
      ...(call.request ? { request: call.request } : {}),
    });
  }
}

/** A route's result as its JSON body; a handler may have chosen another status (readiness answers 503). */
function answer(reply: FastifyReply, status: number, result: unknown): string {
  if (reply.statusCode === 200) reply.code(status);
  reply.type('application/json; charset=utf-8');
  // Never undefined: fastify would wait for a reply.send that no handler makes.
  return JSON.stringify(result) ?? '';
}

/**
 * Refuses a body naming a field the route does not take: dropped unread, a misspelt `requestID`
 * would let a payment sent again after a lost answer be made twice. Said as zod says an unknown key,
 * with the field meant where it differs only in case, `_` or `-`.
 */
function refuseUnknownFields(body: unknown, fields: ReadonlySet<string>): void {
  const unknown = unknownFields(body, fields);
  if (unknown.length === 0) return;
  const errors = unknown.map((key) => {
    const named = FIELD_NAME.test(key);
    const meant = named ? meantField(key, fields) : undefined;
    return named
      ? {
          path: `body.${key}`,
          message: `Unrecognized key: "${key}": not a field of this request${meant ? ` (did you mean "${meant}"?)` : ''}; nothing was done`,
        }
      : {
          path: 'body.*',
          message: 'Unrecognized key, not shown: not a field of this request; nothing was done',
        };
  });
  throw new ApiProblem(400, 'invalid_request', 'Invalid request', 'the body is not valid', errors);
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const errors = requestIssues(result.error, where);
  throw new ApiProblem(400, 'invalid_request', 'Invalid request', `the ${where} is not valid`, errors);
}

/**
 * What is wrong with a request's `where` (body, query, path; none: the path in it), each at its path: field names said,
 * a key that is not one (a PIN sent as a key) never repeated. For routes outside the book too.
 */
export function requestIssues(error: z.ZodError, where?: string): Array<{ path: string; message: string }> {
  return withUnionsExpanded(error.issues).map((issue) => ({
    path: [...(where ? [where] : []), ...issue.path.map(pathSegment)].join('.'),
    message: issue.code === 'unrecognized_keys' ? unrecognizedKeys(issue.keys) : issue.message,
  }));
}

/**
 * A name the client may see again in an error: a field name, not a value. A key
 * that is not one (a patron barcode or PIN sent as a key by mistake) is not echoed.
 */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function pathSegment(segment: PropertyKey): string {
  if (typeof segment === 'number') return String(segment);
  return typeof segment === 'string' && FIELD_NAME.test(segment) ? segment : '*';
}

function unrecognizedKeys(keys: readonly string[]): string {
  const named = keys.filter((key) => FIELD_NAME.test(key));
  const others = keys.length - named.length;
  const list = named.map((key) => `"${key}"`).join(', ');
  if (others === 0) return `Unrecognized key${keys.length === 1 ? '' : 's'}: ${list}`;
  const more = `${others} key${others === 1 ? '' : 's'} not shown`;
  return named.length ? `Unrecognized keys: ${list} and ${more}` : `Unrecognized keys: ${more}`;
}
