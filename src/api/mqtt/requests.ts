import { z } from 'zod';
import { type Clock, systemClock, withDeadline } from '../../core/clock.js';
import { CarrelError, describeError, isStorageFault } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Principal } from '../http/auth.js';
import { ApiProblem, problemFieldsOf } from '../http/problem.js';
import type { MqttAction } from '../operations.js';
import { MAX_DATA_DEPTH, nestedDeeperThan } from '../request-shape.js';
import type { CarrelTopics, MqttResponse } from './topics.js';

export type { MqttAction } from '../operations.js';

/** One PUBLISH in `clients/<clientId>/request/…`, as received. */
export interface IncomingRequest {
  /** The asking client, from the request topic: the broker lets only that client publish there. */
  clientId: string;
  /** What follows `request/`; an action only when it is one topic level (see CarrelTopics.requestOf). */
  action: string;
  payload: Buffer;
  /** MQTT 5 properties, when the requester set them. */
  responseTopic?: string;
  correlationData?: Buffer;
}

/** One envelope to publish; `topic` is a full topic name. */
export interface OutgoingResponse {
  topic: string;
  envelope: MqttResponse;
  correlationData?: Buffer;
  /** Who asked, and what (`(none)` when the topic named no action: it is the client's own text), for the log. */
  clientId: string;
  action: string;
}

export interface RequestDispatcherOptions {
  topics: CarrelTopics;
  actions: Readonly<Record<string, MqttAction>>;
  /** Who a client is (its credential's scopes), from its client id; undefined when unknown. */
  principalOf?: (clientId: string) => Principal | undefined;
  respond: (response: OutgoingResponse) => void;
  logger: Logger;
  clock?: Clock;
  /** Handlers running at once. */
  maxConcurrent?: number;
  /** Requests waiting for a slot; more are answered `busy`. */
  maxQueued?: number;
  /** A handler still running after this long is answered `timeout`. */
  timeoutMs?: number;
  /** Larger request payloads are answered `bad_request` unread. */
  maxPayloadBytes?: number;
}

const requestSchema = z.looseObject({
  transaction: z.string().min(1).max(256).optional(),
  data: z.unknown().optional(),
});

const MAX_RESPONSE_TOPIC_LENGTH = 512;

/**
 * A request over the size limit is still read for its transaction up to this many times the limit
 * (the embedded broker's largest packet is four times it); a larger one is answered without.
 */
const OVERSIZE_READ_FACTOR = 4;

/**
 * A payload's JSON text. A UTF-8 byte order mark before it (.NET's StreamWriter writes one) is
 * skipped, as RFC 8259 lets a parser: JSON.parse would call such a request not JSON.
 */
function jsonText(payload: Buffer): string {
  const text = payload.toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The request's transaction, when the payload is a request with a valid one. */
function transactionOf(payload: Buffer): string | undefined {
  try {
    const result = requestSchema.safeParse(JSON.parse(jsonText(payload)));
    return result.success ? result.data.transaction : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns request PUBLISHes into response envelopes. Never throws and never lets a
 * payload or a handler take the daemon down: malformed JSON is `bad_request`, an
 * unknown action `unknown_action`, a handler error its CarrelError code (else
 * `internal`). Work is concurrent but bounded: `maxConcurrent` handlers run, up to
 * `maxQueued` wait, the rest are answered `busy` at once.
 */
export class RequestDispatcher {
  private readonly clock: Clock;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private readonly maxPayloadBytes: number;
  private readonly queue: Array<() => Promise<void>> = [];
  private running = 0;
  private closed = false;

  constructor(private readonly options: RequestDispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxConcurrent = options.maxConcurrent ?? 8;
    this.maxQueued = options.maxQueued ?? 64;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 64 * 1024;
  }

  /** Handlers running or waiting now. */
  get pending(): number {
    return this.running + this.queue.length;
  }

  accept(request: IncomingRequest): void {
    try {
      this.dispatch(request);
    } catch (error) {
      this.options.logger.error({ err: describeError(error) }, 'MQTT request dispatch failed');
    }
  }

  /** Drops waiting requests; running ones finish but their answers go nowhere. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private dispatch(request: IncomingRequest): void {
    if (this.closed) return;
    const correlation = request.correlationData?.toString('utf8');
    const reply = (envelope: Omit<MqttResponse, 'transaction'>, transaction: string | null) =>
      this.reply(request, { ...envelope, transaction });
    const fail = (code: string, message: string, transaction: string | null) =>
      reply({ status: 'error', data: null, error: { code, message } }, transaction);

    if (request.payload.length > this.maxPayloadBytes) {
      // Not acted on; its transaction is still read where that is cheap, so the client knows which request.
      const transaction =
        request.payload.length <= this.maxPayloadBytes * OVERSIZE_READ_FACTOR
          ? transactionOf(request.payload)
          : undefined;
      fail(
        'bad_request',
        `a request is at most ${this.maxPayloadBytes} bytes of JSON; this one is ${request.payload.length} bytes: nothing was done`,
        transaction ?? correlation ?? null,
      );
      return;
    }
    let parsed: z.infer<typeof requestSchema>;
    try {
      const value: unknown = JSON.parse(jsonText(request.payload));
      const result = requestSchema.safeParse(value);
      if (!result.success) {
        fail('bad_request', notARequest(value), correlation ?? null);
        return;
      }
      parsed = result.data;
    } catch {
      fail('bad_request', 'request payload is not valid JSON', correlation ?? null);
      return;
    }
    const transaction = parsed.transaction ?? correlation ?? null;
    if (transaction === null) {
      fail(
        'bad_request',
        'the request has no "transaction" (a string of 1 to 256 characters, echoed in the answer): nothing was done',
        null,
      );
      return;
    }
    if (nestedDeeperThan(parsed.data, MAX_DATA_DEPTH)) {
      // An action's own work (its request id's fields, a template) walks the data by recursion.
      fail(
        'bad_request',
        `"data" is nested too deep: at most ${MAX_DATA_DEPTH} levels of objects and arrays within each other; nothing was done`,
        transaction,
      );
      return;
    }
    if (!Object.hasOwn(this.options.actions, request.action)) {
      fail('unknown_action', unknownAction(request.action, this.options.actions), transaction);
      return;
    }
    const action = this.options.actions[request.action] as MqttAction;
    if (this.pending >= this.maxConcurrent + this.maxQueued) {
      fail('busy', 'too many requests in progress; try again', transaction);
      return;
    }
    this.queue.push(async () => {
      // Set when the action's answer is the one given the first time for the same requestId.
      let replayed = false;
      const answer = (envelope: Omit<MqttResponse, 'transaction'>) =>
        reply(replayed ? { ...envelope, replayed: true } : envelope, transaction);
      try {
        const data = await withDeadline(
          this.clock,
          `mqtt-request:${request.action}`,
          action(parsed.data, {
            clientId: request.clientId,
            principal: this.options.principalOf?.(request.clientId),
            onReplay: () => {
              replayed = true;
            },
          }),
          this.timeoutMs,
          () =>
            new CarrelError('timeout', `action "${request.action}" did not finish in ${this.timeoutMs} ms`),
        );
        answer({ status: 'ok', data: data ?? null });
      } catch (error) {
        const described = this.describeFailure(request.action, error);
        // What HTTP's problem says beside its code (a refusal's reason, jobStillWaiting…), then the code and words.
        const fields = problemFieldsOf(error);
        answer({
          status: 'error',
          data: null,
          error: { ...fields, code: described.code, message: described.message },
        });
      }
    });
    this.drain();
  }

  private drain(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0) {
      const job = this.queue.shift() as () => Promise<void>;
      this.running++;
      void job().finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private describeFailure(action: string, error: unknown): { code: string; message: string } {
    if (isStorageFault(error))
      this.options.logger.error({ action, code: error.code, reason: error.message }, 'MQTT action failed');
    if (error instanceof CarrelError) return { code: error.code, message: error.message };
    if (error instanceof ApiProblem) return { code: error.code, message: error.detail ?? error.title };
    if (error instanceof z.ZodError) return { code: 'bad_request', message: z.prettifyError(error) };
    // Our bug: say so in the log, give the requester nothing of the internals.
    this.options.logger.error({ action, err: describeError(error) }, 'MQTT action failed');
    return { code: 'internal', message: 'internal error' };
  }

  private reply(request: IncomingRequest, envelope: MqttResponse): void {
    if (this.closed) return;
    const { topics } = this.options;
    let topic = topics.answerTopic(request.clientId, request.action);
    if (request.responseTopic !== undefined) {
      if (isAcceptableResponseTopic(request.responseTopic, request.clientId, topics)) {
        topic = request.responseTopic;
      } else {
        this.options.logger.debug(
          {
            // Only a real action's name: any other topic is the client's own text and may name a patron.
            action: Object.hasOwn(this.options.actions, request.action) ? request.action : '(none)',
            clientId: request.clientId,
          },
          'MQTT request responseTopic outside the client’s own answers area; answered on the default topic',
        );
      }
    }
    this.options.respond({
      topic,
      envelope,
      clientId: request.clientId,
      action: Object.hasOwn(this.options.actions, request.action) ? request.action : '(none)',
      ...(request.correlationData !== undefined && { correlationData: request.correlationData }),
    });
  }
}

/** What is wrong with a JSON value that is not a request, said so that the client can fix it. */
function notARequest(value: unknown): string {
  const shape = 'a request is a JSON object {"transaction": "…", "data": {…}}';
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `${shape}, not ${kindOf(value)}: nothing was done`;
  const transaction = (value as { transaction?: unknown }).transaction;
  if (typeof transaction !== 'string')
    return `"transaction" must be a string of 1 to 256 characters, not ${kindOf(transaction)}: nothing was done`;
  return `"transaction" must be a string of 1 to 256 characters, not ${transaction.length}: nothing was done`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The longest piece of a client's topic quoted back in an error. */
const MAX_QUOTED_ACTION = 128;

/**
 * Why no action runs, said so that a kiosk developer can fix the topic: an action is one topic
 * level after `request/`, and its name has dots where a typo may have slashes.
 */
export function unknownAction(action: string, actions: Readonly<Record<string, MqttAction>>): string {
  if (action === '') return 'no action in the topic: publish on clients/<client id>/request/<action>';
  const quoted = JSON.stringify(
    action.length > MAX_QUOTED_ACTION ? `${action.slice(0, MAX_QUOTED_ACTION)}…` : action,
  );
  const known = `the actions are ${Object.keys(actions).sort().join(', ')} (docs/mqtt.md says what each takes)`;
  if (!action.includes('/')) return `no action ${quoted}: ${known}`;
  const dotted = action.split('/').filter(Boolean).join('.');
  return Object.hasOwn(actions, dotted)
    ? `no action ${quoted}: an action is one topic level, here request/${dotted}`
    : `no action ${quoted}: an action is one topic level after request/; ${known}`;
}

/**
 * An MQTT 5 responseTopic is honoured only inside the asking client's own
 * answers area, `clients/<clientId>/response/...`: the gateway publishes with
 * its own rights, and must never be talked into putting one client's answer
 * (a patron) where another can read it, onto its own state topics, or onto a
 * request topic (where it would be taken for a request).
 */
export function isAcceptableResponseTopic(topic: string, clientId: string, topics: CarrelTopics): boolean {
  return topic.length <= MAX_RESPONSE_TOPIC_LENGTH && topics.isResponseTopicOf(clientId, topic);
}
