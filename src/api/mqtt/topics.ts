import { CarrelError } from '../../core/errors.js';
import type { DeviceEvent, DeviceState } from '../../devices/device-state.js';
import type { DeskTotals } from '../../gateway/desk-totals.js';

/**
 * Carrel's MQTT topics in one place (STYLE 10): the base topic, which topics are
 * retained, and the payload each one carries.
 *
 * ```
 * carrel/<site>/<gateway>/state                                  retained  GatewayStatusPayload (last will: offline)
 * carrel/<site>/<gateway>/totals                                 retained  DeskTotals (counts only)
 * carrel/<site>/<gateway>/devices/<id>/state                     retained  DeviceState
 * carrel/<site>/<gateway>/devices/<id>/events/<type>                       DeviceEvent
 * carrel/<site>/<gateway>/clients/<clientId>/request/<action>              MqttRequest  (from that client)
 * carrel/<site>/<gateway>/clients/<clientId>/response/<action>             MqttResponse (to that client)
 * ```
 *
 * Requests and responses live in the asking client's own area,
 * `clients/<its MQTT client id>/`: they name patrons and carry PINs, and only
 * that client (and the gateway) may read them. Who may read and write what is
 * decided in access.ts; this file only names the topics.
 *
 * Privacy: only the gateway state, the desk totals and DeviceState are retained, and none ever
 * carries patron data (the totals are counts) (DeviceState.detail is device-family specifics only). A
 * retained message outlives the request that caused it and is handed to every
 * subscriber, so nothing patron-related may ever be given a retained topic here.
 */

/**
 * The gateway as a whole. The last will carries no `since`: the broker cannot know it. `instance`
 * is the running gateway's own random id (new at each start): a state of this desk's topic with
 * another instance is another desk configured with the same site and gateway.
 */
export type GatewayStatusPayload =
  | { status: 'online'; since: string; instance?: string }
  | { status: 'offline'; since?: string; instance?: string };

/** What a front end publishes on `clients/<clientId>/request/<action>`. */
export interface MqttRequest {
  /** Correlation id, echoed in the response envelope. */
  transaction: string;
  data?: unknown;
}

/** The one response envelope on `clients/<clientId>/response/<action>`. */
export interface MqttResponse {
  status: 'ok' | 'error';
  data: unknown;
  /**
   * Beside `code` and `message`, the fields the HTTP problem carries for the same refusal: a
   * circulation refusal's `reason` and `screenMessages`, a CarrelError's details.
   */
  error?: { code: string; message: string } & Readonly<Record<string, unknown>>;
  /** The request's correlation id, or null when it could not be read. */
  transaction: string | null;
  /**
   * The answer given the first time to a request with the same requestId, given again (the
   * request was not done twice): HTTP's `Idempotent-Replayed: true`. Absent on a first answer.
   */
  replayed?: true;
}

/** The typed map: topic kind → payload. */
export interface TopicPayloads {
  state: GatewayStatusPayload;
  totals: DeskTotals;
  deviceState: DeviceState;
  deviceEvent: DeviceEvent;
  request: MqttRequest;
  response: MqttResponse;
}

export type TopicKind = keyof TopicPayloads;

interface TopicSpec {
  retain: boolean;
  qos: 0 | 1;
}

/** Which kinds are retained. Only these three; see the privacy note above. */
export const TOPIC_SPECS: { readonly [K in TopicKind]: TopicSpec } = {
  state: { retain: true, qos: 1 },
  totals: { retain: true, qos: 1 },
  deviceState: { retain: true, qos: 1 },
  deviceEvent: { retain: false, qos: 1 },
  request: { retain: false, qos: 1 },
  response: { retain: false, qos: 1 },
};

/** A concrete topic name tagged with the payload it carries. */
export interface Topic<K extends TopicKind> {
  readonly kind: K;
  readonly name: string;
  readonly retain: boolean;
  readonly qos: 0 | 1;
}

/** A topic segment (id, action, event type) that would break the topic tree. */
export class TopicSegmentError extends CarrelError {
  constructor(what: string) {
    super('bad_topic_segment', `${what} must be non-empty and contain no "+", "#", "/" or NUL`);
  }
}

const MAX_SEGMENT_LENGTH = 128;
/** The level under a client's area where it asks. */
const REQUEST = 'request';
const NUL = String.fromCharCode(0);

/** True when `topic` holds a wildcard or NUL, so it cannot be a PUBLISH topic name. */
export function hasWildcardOrNul(topic: string): boolean {
  return topic.includes('+') || topic.includes('#') || topic.includes(NUL);
}

/** True when `segment` can stand as one topic level without wildcards or nesting. */
export function isSafeTopicSegment(segment: string): boolean {
  return (
    segment.length > 0 &&
    segment.length <= MAX_SEGMENT_LENGTH &&
    !segment.includes('/') &&
    !hasWildcardOrNul(segment)
  );
}

function guard(segment: string, what: string): string {
  if (typeof segment !== 'string' || !isSafeTopicSegment(segment)) throw new TopicSegmentError(what);
  return segment;
}

/** Encodes a payload for the wire. Kept beside the map so every publisher writes JSON the same way. */
export function encodePayload<K extends TopicKind>(_topic: Topic<K>, payload: TopicPayloads[K]): string {
  return JSON.stringify(payload);
}

/** All topic names of one gateway. Build topics only through this. */
export class CarrelTopics {
  /** `carrel/<site>/<gateway>` */
  readonly base: string;

  constructor(site: string, gateway: string) {
    this.base = `carrel/${guard(site, 'site')}/${guard(gateway, 'gateway')}`;
  }

  state(): Topic<'state'> {
    return this.topic('state', 'state');
  }

  /** The desk's totals: alarms and visitors today, the offline backlog. */
  totals(): Topic<'totals'> {
    return this.topic('totals', 'totals');
  }

  deviceState(deviceId: string): Topic<'deviceState'> {
    return this.topic('deviceState', `devices/${guard(deviceId, 'device id')}/state`);
  }

  deviceEvent(deviceId: string, eventType: string): Topic<'deviceEvent'> {
    return this.topic(
      'deviceEvent',
      `devices/${guard(deviceId, 'device id')}/events/${guard(eventType, 'event type')}`,
    );
  }

  /** Where the client `clientId` asks for `action`. */
  request(clientId: string, action: string): Topic<'request'> {
    return this.topic('request', `${this.clientArea(clientId)}/request/${guard(action, 'action')}`);
  }

  /** Where the gateway answers the client `clientId` about `action`. */
  response(clientId: string, action: string): Topic<'response'> {
    return this.topic('response', `${this.clientArea(clientId)}/response/${guard(action, 'action')}`);
  }

  /**
   * The subscription that receives every client's requests (the gateway's): everything under each
   * client's `request`, so that a mistyped action (`request/circulation/checkout`) is answered too.
   */
  requestFilter(): string {
    return `${this.base}/clients/+/request/#`;
  }

  /** Every device's state. */
  deviceStateFilter(): string {
    return `${this.base}/devices/+/state`;
  }

  /** Every device's events. */
  deviceEventFilter(): string {
    return `${this.base}/devices/+/events/+`;
  }

  /**
   * Where one client may publish: its whole `request` subtree. Only `request/<action>` names an
   * action; anything else there is answered `unknown_action` rather than refused by the broker,
   * which under MQTT 3.1.1 can only drop the connection and leaves the client with no answer.
   */
  clientRequestFilter(clientId: string): string {
    return `${this.base}/${this.clientArea(clientId)}/request/#`;
  }

  /** The answers one client may read (under it, MQTT 5 response topics of its own choosing). */
  clientResponseFilter(clientId: string): string {
    return `${this.base}/${this.clientArea(clientId)}/response/#`;
  }

  /**
   * The asking client and the action of a topic in a client's request area, or undefined when
   * `topic` is not in one. The action is everything after `request/`: one level names an action;
   * an empty or a nested one (`circulation/checkout`) names none and is answered `unknown_action`
   * on {@link answerTopic}.
   */
  requestOf(topic: string): { clientId: string; action: string } | undefined {
    const prefix = `${this.base}/clients/`;
    if (!topic.startsWith(prefix) || hasWildcardOrNul(topic)) return undefined;
    const slash = topic.indexOf('/', prefix.length);
    if (slash === -1) return undefined;
    const clientId = topic.slice(prefix.length, slash);
    const rest = topic.slice(slash + 1);
    if (!isSafeTopicSegment(clientId)) return undefined;
    if (rest === REQUEST) return { clientId, action: '' };
    if (!rest.startsWith(`${REQUEST}/`)) return undefined;
    return { clientId, action: rest.slice(REQUEST.length + 1) };
  }

  /** The device whose state `topic` is (`devices/<id>/state`), or undefined when it is no such topic. */
  deviceOfState(topic: string): string | undefined {
    const prefix = `${this.base}/devices/`;
    const suffix = '/state';
    if (!topic.startsWith(prefix) || !topic.endsWith(suffix)) return undefined;
    const device = topic.slice(prefix.length, topic.length - suffix.length);
    return isSafeTopicSegment(device) ? device : undefined;
  }

  /**
   * Where the answer to `clients/<clientId>/request/<action>` goes by default: the same topic
   * with `response` for `request`. For an action that is not one level (nested, or none) that is
   * still the mirror of what the client published, in its own answers area, so that a client
   * listening where it expects its answer hears why there is none.
   */
  answerTopic(clientId: string, action: string): string {
    if (isSafeTopicSegment(action)) return this.response(clientId, action).name;
    const area = `${this.base}/${this.clientArea(clientId)}/response`;
    return action === '' || hasWildcardOrNul(action) ? area : `${area}/${action}`;
  }

  /**
   * True when `topic` is a plain topic name in the answers area of `clientId`
   * (`clients/<clientId>/response/...`): the only place an MQTT 5 response topic
   * may send that client's answer.
   */
  isResponseTopicOf(clientId: string, topic: string): boolean {
    if (!isSafeTopicSegment(clientId) || hasWildcardOrNul(topic)) return false;
    const prefix = `${this.base}/${this.clientArea(clientId)}/response/`;
    return topic.length > prefix.length && topic.startsWith(prefix);
  }

  /** True when `topic` lies in this gateway's tree. */
  owns(topic: string): boolean {
    return topic === this.base || topic.startsWith(`${this.base}/`);
  }

  private clientArea(clientId: string): string {
    return `clients/${guard(clientId, 'client id')}`;
  }

  private topic<K extends TopicKind>(kind: K, suffix: string): Topic<K> {
    const spec = TOPIC_SPECS[kind];
    return { kind, name: `${this.base}/${suffix}`, retain: spec.retain, qos: spec.qos };
  }
}
