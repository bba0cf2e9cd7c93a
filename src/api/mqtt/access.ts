import type { Scope } from '../../gateway/config/schema.js';
import { topicMatchesFilter } from './link.js';
import { type CarrelTopics, isSafeTopicSegment } from './topics.js';

/**
 * Who may read and write what on MQTT: the one rule, for the embedded broker
 * (checked per PUBLISH, per SUBSCRIBE and per delivered message) and for an
 * external Mosquitto (printed as its ACL file by `carrel mqtt acl`).
 *
 * In the gateway's tree `carrel/<site>/<gateway>`:
 *
 * - public, readable by every authenticated client (monitor included): the
 *   gateway `state`, the desk's `totals` (counts only), `devices/<id>/state`,
 *   `devices/<id>/events/<type>`;
 * - a client's own area `clients/<its client id>/`: it may publish
 *   `request/#` (kiosk, staff and admin scopes; a monitor only reads) and read
 *   `response/#`, nobody else may do either. Only `request/<action>` names an
 *   action; the gateway answers anything else there `unknown_action`, which
 *   tells a client more than a broker dropping its connection would;
 * - everything else: the gateway only.
 *
 * So no client ever receives another client's request (a PIN) or answer (a
 * patron). `$SYS/#` (aedes publishes client ids there) is the gateway's only.
 * Topics outside the gateway's tree are left alone.
 */

/** What a connection may do: the gateway's own client, one that asks, one that only reads. */
export type MqttRole = 'gateway' | 'requester' | 'reader';

/** A monitor-only token reads; any other scope may also ask. */
export function roleOfScopes(scopes: ReadonlyArray<Scope>): 'requester' | 'reader' {
  return scopes.some((scope) => scope !== 'monitor') ? 'requester' : 'reader';
}

/** Topic filters a role may read (subscribe to and receive) and write (publish to). */
export interface TopicGrants {
  read: string[];
  write: string[];
}

/**
 * The grants of one client as topic filters. A client id that is not a safe
 * topic segment (empty, with `/`, `+`, `#`) has no area: it may read the
 * public topics and make no requests.
 */
export function grantsFor(topics: CarrelTopics, role: MqttRole, clientId: string): TopicGrants {
  if (role === 'gateway') return { read: [`${topics.base}/#`], write: [`${topics.base}/#`] };
  const read = [
    topics.state().name,
    topics.totals().name,
    topics.deviceStateFilter(),
    topics.deviceEventFilter(),
  ];
  if (role === 'reader' || !isSafeTopicSegment(clientId)) return { read, write: [] };
  return {
    read: [...read, topics.clientResponseFilter(clientId)],
    write: [topics.clientRequestFilter(clientId)],
  };
}

const SYS = '$SYS';
const SHARE = '$share/';

/** The rules one connected client is held to: asked per PUBLISH, SUBSCRIBE and delivery. */
export class ClientAccess {
  private readonly grants: TopicGrants;

  constructor(
    private readonly topics: CarrelTopics,
    readonly role: 'requester' | 'reader',
    readonly clientId: string,
  ) {
    this.grants = grantsFor(topics, role, clientId);
  }

  /** May this client publish on `topic`? */
  mayPublish(topic: string): boolean {
    if (isSys(topic)) return false;
    if (!this.topics.owns(topic)) return true;
    return this.grants.write.some((filter) => topicMatchesFilter(filter, topic));
  }

  /**
   * Why this client may not publish on `topic`, for IT reading the log: what is wrong with the
   * kiosk's setup and what would be right. Said only of a topic `mayPublish` refused.
   */
  whyNoPublish(topic: string): string {
    if (isSys(topic)) return "$SYS is the broker's own";
    const request = this.topics.requestOf(topic);
    if (request && this.role === 'reader')
      return 'its token only reads (monitor scope); a client that makes requests needs a token with the kiosk, staff or admin scope';
    if (!isSafeTopicSegment(this.clientId))
      return 'its client id cannot name a topic level (empty, or with / + #): it may make no requests; give it a plain client id';
    if (request)
      return `a client publishes its requests under its own client id, ${this.topics.base}/clients/${this.clientId}/request/<action>`;
    if (this.role === 'reader') return 'its token only reads (monitor scope)';
    return `the desk publishes there, no client: requests go to ${this.topics.base}/clients/${this.clientId}/request/<action>`;
  }

  /** May the broker keep a PUBLISH on `topic` as retained? Never a request: it names a patron and may carry a PIN. */
  mayRetain(topic: string): boolean {
    return !this.topics.owns(topic);
  }

  /** May the broker hand this client a message published on `topic`, whatever its subscription? */
  mayReceive(topic: string): boolean {
    if (isSys(topic)) return false;
    if (!this.topics.owns(topic)) return true;
    return this.grants.read.some((filter) => topicMatchesFilter(filter, topic));
  }

  /**
   * May this client subscribe to `filter`? Refused only where the filter can
   * match nothing the client may receive (`$SYS/#`, another client's area, the
   * gateway's request topics); a broad filter (`#`, `carrel/+/+/…`) is granted
   * and every delivery through it is still checked by `mayReceive`. A shared
   * subscription `$share/<group>/<filter>` is judged by its filter.
   */
  maySubscribe(filter: string): boolean {
    const inner = sharedFilter(filter) ?? filter;
    if (isSys(inner)) return false;
    if (this.reachesOutsideTree(inner)) return true;
    return this.grants.read.some((granted) => filtersOverlap(inner, granted));
  }

  /** Why `maySubscribe` refused `filter`, in words for the log. */
  whyNoSubscribe(filter: string): string {
    if (isSys(sharedFilter(filter) ?? filter)) return "$SYS is the broker's own";
    const own = this.grants.read.find((granted) => granted.includes('/clients/'));
    return `it matches nothing this client may read — the desk's state, totals, devices' states and events${
      own ? `, and its own answers, ${own}` : ' (its token only reads, or its client id names no topic level)'
    }`;
  }

  /** True when `filter` can match a topic outside the gateway's tree. */
  private reachesOutsideTree(filter: string): boolean {
    const levels = filter.split('/');
    const base = this.topics.base.split('/');
    // Every topic it matches starts with the base only when it spells the base out.
    return base.some((level, i) => levels[i] !== level);
  }
}

function isSys(topicOrFilter: string): boolean {
  return topicOrFilter === SYS || topicOrFilter.startsWith(`${SYS}/`);
}

/** The filter of a shared subscription `$share/<group>/<filter>`, or undefined when it is not one. */
export function sharedFilter(filter: string): string | undefined {
  if (!filter.startsWith(SHARE)) return undefined;
  const slash = filter.indexOf('/', SHARE.length);
  return slash === -1 ? '' : filter.slice(slash + 1);
}

/** True when some topic matches both filters (MQTT wildcards `+` and a trailing `#`). */
export function filtersOverlap(a: string, b: string): boolean {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; ; i++) {
    const x = left[i];
    const y = right[i];
    if (x === '#' || y === '#') return true;
    if (x === undefined || y === undefined) return x === y;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
}
