/**
 * One API, two transports. An operation is defined once — its zod schemas, who
 * may call it, what it does — and served on HTTP (a route, and the OpenAPI
 * document) and, when it says so, as an MQTT action with the same schemas, the
 * same scopes and the same handler. An API module groups the operations of one
 * resource; each device family has one (src/api/families), listed with the
 * family in src/app/families.ts, and it is also where that family's events are
 * made fit to leave the gateway (patron privacy at this edge).
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { CarrelError } from '../core/errors.js';
import type { DeviceEvent } from '../devices/device-state.js';
import type { DeskServices } from '../gateway/contracts/desk.js';
import type { Access, Principal, TokenAuthenticator } from './http/auth.js';
import type { ProblemTable } from './http/problem.js';
import type { ReplyControl, RouteBook, RouteSpec } from './http/routes.js';
import { IDEMPOTENT_REPLAYED_HEADER } from './request-ids.js';
import { fieldsOf, meantField } from './request-shape.js';
import { withUnionsExpanded } from './schema-issues.js';

/** How an operation is offered over MQTT: `clients/<id>/request/<action>` → `…/response/<action>`. */
export interface MqttExposure {
  /** The action name, e.g. `printers.print`. */
  action: string;
  /** MQTT data field for an HTTP path parameter, where they differ: `{ id: 'printer' }`. */
  fields?: Readonly<Record<string, string>>;
  /** Reshapes the request data before validation (`{…data, all: true}`). */
  input?: (data: Record<string, unknown>) => Record<string, unknown>;
  /** Reshapes the result for MQTT (e.g. no patron card ids on MQTT). */
  answer?: (result: unknown) => unknown;
}

/** A route spec that may also be an MQTT action (or several). */
export type ApiOperation = RouteSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType> & {
  mqtt?: MqttExposure | readonly MqttExposure[];
};

/** What an API module's non-operation routes (WebSockets, pages) are given. */
export interface ApiRouteContext {
  services: DeskServices;
  auth: TokenAuthenticator;
  book: RouteBook;
}

export interface ApiModule {
  readonly name: string;
  /** Operations served on HTTP and, where they say, on MQTT. */
  operations?(services: DeskServices): readonly ApiOperation[];
  /** Routes that are HTTP only and not in the operation list (WebSockets, pages). */
  routes?(app: FastifyInstance, context: ApiRouteContext): void;
  /** A device event of this module's family, as it may leave the gateway (WebSocket, MQTT). */
  publicEvent?(event: DeviceEvent): DeviceEvent;
  /** The family's events as they leave the gateway, for the OpenAPI document: type → what it says and its `data`. */
  readonly events?: Readonly<Record<string, ApiEvent>>;
  /** How this module's own error codes surface over HTTP. */
  readonly problems?: ProblemTable;
  /** The family's own gauges on /metrics (a card printer's ribbon, a cash box's contents), by name. */
  readonly gauges?: Readonly<Record<string, ApiGauge>>;
}

/**
 * A gauge a family adds to /metrics, read afresh on each scrape from its devices' health records.
 * Its labels name devices and what a device has (a direction, a currency) — never a patron.
 */
export interface ApiGauge {
  help: string;
  labelNames: readonly string[];
  read(services: DeskServices): Iterable<{ labels: Record<string, string>; value: number }>;
}

/**
 * A gauge with one sample per device of a family (`kind`) Carrel is connected to — an offline
 * device's record tells of a link that is gone — read from its health record's detail: `value`
 * gives a number, or nothing when the device does not say.
 */
export function deviceGauge(
  kind: string,
  help: string,
  value: (detail: Record<string, unknown>) => unknown,
): ApiGauge {
  return {
    help,
    labelNames: ['device'],
    *read(services) {
      for (const device of services.devices()) {
        if (device.kind !== kind || device.status === 'offline') continue;
        const read = value(device.detail);
        if (typeof read === 'number') yield { labels: { device: device.device }, value: read };
        else if (typeof read === 'boolean') yield { labels: { device: device.device }, value: read ? 1 : 0 };
      }
    },
  };
}

/** A record's `detail.<key>` when it is an object (the card printer's ribbon, a cash box). */
export function detailPart(detail: Record<string, unknown>, key: string): Record<string, unknown> {
  const part = detail[key];
  return typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {};
}

/** One device event type on the WebSocket (`device.event`) and MQTT (`devices/<id>/events/<type>`). */
export interface ApiEvent {
  summary: string;
  data: z.ZodType;
}

/** Every module's events, for the OpenAPI document. */
export function eventsOf(modules: readonly ApiModule[]): Record<string, ApiEvent> {
  return Object.assign({}, ...modules.map((module) => module.events ?? {}));
}

/** Declares an operation with its schemas' types checked against its handler. */
export function operation<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  spec: RouteSpec<P, Q, B, R> & { mqtt?: MqttExposure | readonly MqttExposure[] },
): ApiOperation {
  return spec as unknown as ApiOperation;
}

// Each module's operations for a desk's services, made once: HTTP and MQTT serve the same
// objects, so the zod schemas an operation builds for itself are not built (and kept) twice.
const madeOperations = new WeakMap<DeskServices, Map<ApiModule, readonly ApiOperation[]>>();

/** The module's operations for these services; the same array for every caller. */
export function operationsOf(module: ApiModule, services: DeskServices): readonly ApiOperation[] {
  let made = madeOperations.get(services);
  if (!made) {
    made = new Map();
    madeOperations.set(services, made);
  }
  let operations = made.get(module);
  if (!operations) {
    operations = module.operations?.(services) ?? [];
    made.set(module, operations);
  }
  return operations;
}

/** Serves every module's operations and routes on the HTTP app. */
export function addHttpRoutes(
  app: FastifyInstance,
  modules: readonly ApiModule[],
  context: ApiRouteContext,
): void {
  for (const module of modules) {
    for (const op of operationsOf(module, context.services)) context.book.add(app, op);
    module.routes?.(app, context);
  }
}

/** The caller of an MQTT action, as the broker authenticated it. */
export interface MqttCaller {
  clientId: string;
  /** The caller's scopes; undefined when it holds no known credential. */
  principal: Principal | undefined;
  /** Called when the answer is the first one, given again for the same requestId. */
  onReplay?: () => void;
}

/** What MQTT calls to do one action. Throws a CarrelError for a stable error code. */
export type MqttAction = (data: unknown, caller: MqttCaller) => Promise<unknown>;

/**
 * Every operation offered over MQTT, as the action table: the request data is
 * validated with the operation's own schemas (path parameters, query and body
 * fields side by side in `data`), the caller's scopes are checked as HTTP
 * checks them, and the handler is the same one.
 */
export function mqttActionsOf(
  modules: readonly ApiModule[],
  services: DeskServices,
): Record<string, MqttAction> {
  const actions: Record<string, MqttAction> = {};
  for (const module of modules) {
    for (const op of operationsOf(module, services)) {
      const exposures = op.mqtt === undefined ? [] : Array.isArray(op.mqtt) ? op.mqtt : [op.mqtt];
      for (const exposure of exposures as MqttExposure[]) {
        if (Object.hasOwn(actions, exposure.action))
          throw new Error(`MQTT action ${exposure.action} is offered twice`);
        actions[exposure.action] = mqttAction(op, exposure);
      }
    }
  }
  return actions;
}

function mqttAction(op: ApiOperation, exposure: MqttExposure): MqttAction {
  const read = fieldsRead(op, exposure);
  return async (data, caller) => {
    const principal = authorize(caller, op.access);
    let input = isRecord(data) ? { ...data } : data === undefined || data === null ? {} : undefined;
    if (input === undefined) throw new CarrelError('bad_request', 'data: must be an object');
    if (read) refuseUnread(input, read);
    for (const [param, field] of Object.entries(exposure.fields ?? {})) {
      if (field in input) {
        input[param] = input[field];
        delete input[field];
      }
    }
    if (exposure.input) input = exposure.input(input);
    const taken = new Set<string>();
    // A path parameter's problem is said in the MQTT field's name (`data.device`, not `data.id`).
    const params = part(op.params, input, taken, 'data', exposure.fields);
    const query = part(op.query, input, taken, 'data');
    const rest = Object.fromEntries(Object.entries(input).filter(([key]) => !taken.has(key)));
    const body = op.body ? validate(op.body, rest, 'data') : undefined;
    const result = await op.handler({ params, query, body, principal, reply: replyOverMqtt(caller) });
    return exposure.answer ? exposure.answer(result) : result;
  };
}

/**
 * The data fields an action reads, in its MQTT names: its path parameters (renamed where `fields`
 * says), query and body fields. Undefined when a schema takes fields of any name.
 */
function fieldsRead(op: ApiOperation, exposure: MqttExposure): ReadonlySet<string> | undefined {
  const names = new Set<string>();
  const renamed = exposure.fields ?? {};
  for (const schema of [op.params, op.query, op.body]) {
    if (schema === undefined) continue;
    const fields = fieldsOf(schema);
    if (fields === undefined) return undefined;
    for (const field of fields) names.add(schema === op.params ? (renamed[field] ?? field) : field);
  }
  return names;
}

/**
 * Refuses data naming a field the action does not read: it would be dropped unread, and a
 * misspelt `requestID` would let a payment sent again after a lost answer be made twice.
 */
function refuseUnread(input: Record<string, unknown>, taken: ReadonlySet<string>): void {
  const unread = Object.keys(input).filter((key) => !taken.has(key));
  if (unread.length === 0) return;
  const known = [...taken];
  const said = unread.map((key) => {
    const meant = meantField(key, known);
    return `data.${key}: not a field of this action${meant ? ` (did you mean ${meant}?)` : ''}`;
  });
  const fields = known.length > 0 ? `it takes ${known.sort().join(', ')}` : 'it takes no data';
  throw new CarrelError('bad_request', `${said.join('; ')}; ${fields}: nothing was done`);
}

/**
 * What an operation says to HTTP's reply, over MQTT: the status code and headers have nowhere to
 * go, but `Idempotent-Replayed: true` (an answer given again for the same requestId) becomes the
 * envelope's `replayed: true`.
 */
function replyOverMqtt(caller: MqttCaller): ReplyControl {
  return {
    code: () => undefined,
    header: (name, value) => {
      if (name.toLowerCase() === IDEMPOTENT_REPLAYED_HEADER && value === 'true') caller.onReplay?.();
    },
  };
}

/** The fields of `input` that `schema` (an object of path or query parameters) names, validated. */
function part(
  schema: z.ZodType | undefined,
  input: Record<string, unknown>,
  taken: Set<string>,
  where: string,
  /** What each field is called in the MQTT data, where that differs. */
  names: Readonly<Record<string, string>> = {},
) {
  if (!schema) return undefined;
  const keys = Object.keys((schema as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  for (const key of keys) taken.add(key);
  return validate(
    schema,
    Object.fromEntries(keys.filter((key) => key in input).map((key) => [key, input[key]])),
    where,
    names,
  );
}

function validate(
  schema: z.ZodType,
  value: unknown,
  where: string,
  names: Readonly<Record<string, string>> = {},
): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const named = (key: PropertyKey, i: number) =>
    i === 0 && typeof key === 'string' && Object.hasOwn(names, key) ? (names[key] as string) : String(key);
  const detail = withUnionsExpanded(result.error.issues)
    .map((issue) => `${[where, ...issue.path.map(named)].join('.')}: ${issue.message}`)
    .join('; ');
  throw new CarrelError('bad_request', detail);
}

/** The same scope rule as HTTP: one of the operation's scopes, or admin. */
function authorize(caller: MqttCaller, access: Access): Principal {
  const principal = caller.principal;
  if (access === 'public') return principal ?? { name: caller.clientId, scopes: [] };
  if (!principal) throw new CarrelError('unauthorized', 'this MQTT client holds no known credential');
  if (principal.scopes.includes('admin') || access.some((scope) => principal.scopes.includes(scope)))
    return principal;
  throw new CarrelError('forbidden', `this action needs one of the scopes: ${access.join(', ')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
