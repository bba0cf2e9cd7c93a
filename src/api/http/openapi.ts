import { z } from 'zod';
import type { ApiEvent } from '../operations.js';
import { socketOperation } from './openapi-sockets.js';
import type { RouteBook, RouteHead } from './routes.js';

const problemSchema = {
  type: 'object',
  required: ['type', 'code', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'stable problem type, urn:carrel:problem:<code>' },
    code: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    jobStillWaiting: {
      type: 'boolean',
      description:
        'print_release_refused only: true when the print server refused to send the job to the printer but ' +
        'still holds it (its charge was refunded; a new release, with a new requestId, may print it), false when ' +
        'the job is gone (deleted at the print server)',
    },
    answerLost: {
      type: 'boolean',
      description:
        'an ILS error (ils_timeout, ils_connection_lost, ils_bad_response) of a checkout, checkin, renewal, ' +
        'hold or fee payment whose answer was lost or could not be read, and which the ILS could not be asked ' +
        'about afterwards: it may have been done. Check at the ILS (staff) before doing it again; the same ' +
        'requestId sent again is refused request_in_doubt',
    },
  },
};

const PROBLEM_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Authentication required',
  403: 'Insufficient scope',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Too large',
  415: 'Not a media type taken',
  422: 'Cannot be processed',
  503: 'Unavailable',
};

type Json = Record<string, unknown>;

/**
 * The schemas named once (zod `.meta({ id })`: DeviceState, PrintJob…) and used by several
 * operations. zod writes each operation's copy under its own `$defs` with `#/$defs/<id>` refs,
 * which in an OpenAPI document point at the document's root, where there is nothing: they are
 * moved to `components.schemas` and the refs pointed there. A name whose input and output
 * shapes differ gets an `Input` twin.
 */
class SharedSchemas {
  readonly schemas: Record<string, Json> = {};

  toSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    const names = new Map<string, string>();
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!node || typeof node !== 'object') return node;
      const out: Json = {};
      for (const [key, value] of Object.entries(node)) {
        const local = key === '$ref' && typeof value === 'string' ? /^#\/\$defs\/(.+)$/.exec(value) : null;
        out[key] = local?.[1] ? `#/components/schemas/${names.get(local[1]) ?? local[1]}` : rewrite(value);
      }
      return out;
    };
    for (const [name, def] of Object.entries(defs)) {
      const twin = `${name}${io === 'input' ? 'Input' : 'Output'}`;
      const shaped = JSON.stringify(rewrite(def));
      const free = (candidate: string) =>
        this.schemas[candidate] === undefined || JSON.stringify(this.schemas[candidate]) === shaped;
      if (!free(name) && !free(twin))
        throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
      names.set(name, free(name) ? name : twin);
    }
    for (const [name, def] of Object.entries(defs))
      this.schemas[names.get(name) ?? name] ??= rewrite(def) as Json;
    return rewrite(json) as Json;
  }
}

/**
 * OpenAPI 3.1 generated from the route book's zod schemas. The device events of the WebSocket and
 * MQTT (which OpenAPI has no place for) are listed under `x-carrel-events`: type → summary and the
 * JSON Schema of its `data`.
 */
export function buildOpenApi(
  book: RouteBook,
  info: { version: string; authEnabled: boolean; events?: Readonly<Record<string, ApiEvent>> },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  const shared = new SharedSchemas();
  const toSchema = (schema: z.ZodType, io: 'input' | 'output') => shared.toSchema(schema, io);
  /** A route's path and query parameters, each its own entry. */
  const parametersOf = (route: { params?: z.ZodType; query?: z.ZodType }) => {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = toSchema(schema, 'input');
      const properties = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries(properties)) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || required.has(name),
          schema: property,
          ...(property.description ? { description: property.description } : {}),
        });
      }
    }
    return parameters;
  };
  /** The route's place in `paths`, its operation's name, tags and parameters. */
  const operationOf = (route: RouteHead, parameters: unknown[]) => {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] ??= {};
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
    };
    paths[path][route.method.toLowerCase()] = operation;
    return operation;
  };
  /** Who may call it: nobody in particular, or a token with one of the scopes. */
  const securityOf = (route: RouteHead) =>
    route.access === 'public'
      ? { security: [] }
      : { 'x-carrel-scopes': route.access, security: [{ bearer: [] }] };
  for (const route of book.entries) {
    const parameters = parametersOf(route);
    if (route.idempotencyKey)
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', minLength: 8, maxLength: 130 },
        description:
          "the body's requestId, as the Idempotency-Key header (a quoted string or the bare key): " +
          'the same request sent again with it is answered with what was done the first time',
      });
    const success = { 'application/json': { schema: toSchema(route.response, 'output') } };
    const responses: Record<string, unknown> = {
      [String(route.status)]: { description: 'Success', content: success },
    };
    Object.assign(
      responses,
      problemResponses(
        [...(route.params || route.query || route.body ? [400] : []), ...route.problems],
        route.access !== 'public' && info.authEnabled,
      ),
    );
    for (const [status, description] of Object.entries(route.alsoAnswers ?? {})) {
      responses[status] = { description, content: success };
    }
    Object.assign(operationOf(route, parameters), {
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
      ...securityOf(route),
    });
  }
  for (const route of book.described) {
    const body =
      'schema' in route.body
        ? { 'application/json': { schema: toSchema(route.body.schema, 'input') } }
        : Object.fromEntries(
            route.body.mediaTypes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
          );
    const { success } = route;
    Object.assign(operationOf(route, parametersOf(route)), {
      requestBody: {
        required: true,
        ...('description' in route.body ? { description: route.body.description } : {}),
        content: body,
      },
      responses: {
        [String(success.status)]: {
          description: success.description,
          ...(success.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(success.headers).map(([name, header]) => [
                    name,
                    { description: header.description, schema: header.schema },
                  ]),
                ),
              }
            : {}),
          content: {
            [success.mediaType]: {
              schema: success.schema
                ? toSchema(success.schema, 'output')
                : { type: 'string', format: 'binary' },
            },
          },
        },
        ...problemResponses(route.problems, route.access !== 'public' && info.authEnabled),
      },
      ...securityOf(route),
    });
  }
  for (const route of book.sockets) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path].get = socketOperation(
      route,
      parametersOf(route),
      (schema) => toSchema(schema, 'output'),
      securityOf({ ...route, method: 'GET' }),
      (statuses) => problemResponses(statuses, false),
    );
  }
  const events = Object.fromEntries(
    Object.entries(info.events ?? {}).map(([type, event]) => [
      type,
      { summary: event.summary, data: toSchema(event.data, 'output') },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Carrel gateway API',
      version: info.version,
      description:
        'Local API of a Carrel library desk gateway. Errors are application/problem+json with a stable `type`. ' +
        'Device events stream on the WebSocket at /api/v1/events and on MQTT; x-carrel-events lists them. ' +
        'Each WebSocket is the GET of its handshake here; x-carrel-websocket of that operation says what it sends.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Problem: problemSchema, ...shared.schemas },
    },
    paths,
    'x-carrel-events': events,
  };
}

/** The problem answers of a route, by status; 401 and 403 where a token is asked for. */
function problemResponses(statuses: readonly number[], authorized: boolean): Record<string, unknown> {
  const problems = new Set([...statuses, ...(authorized ? [401, 403] : [])]);
  return Object.fromEntries(
    [...problems].sort().map((status) => [
      String(status),
      {
        description: PROBLEM_TEXT[status] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
}
