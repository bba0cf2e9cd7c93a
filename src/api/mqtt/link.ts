/**
 * How MqttApi reaches its broker. Two links implement it:
 *
 * - `EmbeddedLink`: the embedded broker in this process, called directly (no
 *   socket, no MQTT client library, no last will: the broker dies with us).
 * - `ClientLink`: any broker over the network through mqtt.js, loaded only when
 *   such a link opens (last will, reconnect, MQTT 5 properties).
 *
 * MqttApi holds the topic rules; a link only moves messages.
 */

/** One message received on a subscription. */
export interface LinkMessage {
  topic: string;
  payload: Buffer;
  /** Replayed from the broker's retained store rather than just published. */
  retained: boolean;
  /**
   * A live message its publisher sent with the retain flag (the broker keeps it), known only on a
   * subscription made with `retainAsPublished` over MQTT 5; undefined where the link cannot tell.
   */
  publishedRetained?: boolean;
  /** MQTT 5 properties, when the publisher set them (client links to MQTT 5 brokers only). */
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface LinkSubscribeOptions {
  /**
   * Tell a live message published retained from a plain one (`publishedRetained`), where the link
   * can (MQTT 5's retain-as-published); a message replayed from the retained store is still `retained`.
   */
  retainAsPublished?: boolean;
}

export interface LinkPublishOptions {
  qos: 0 | 1;
  retain: boolean;
  /** Sent as the MQTT 5 correlation data where the link can carry it; dropped otherwise. */
  correlationData?: Buffer;
}

/**
 * `connect`: a session with the broker began (the first and every one after a
 * reconnect): whatever is retained may have been lost, publish it again.
 * `offline`: the broker went away; a client link retries on its own.
 */
export type LinkEvent = 'connect' | 'offline';

export interface MqttLink {
  /** Where the link goes, for logs: never credentials. */
  readonly where: string;
  /** True while a session with the broker is up. */
  readonly connected: boolean;
  /** Why the broker could not be reached or refused, while not connected (never credentials); else undefined. */
  readonly lastError: string | undefined;
  /** True when publishes carry MQTT 5 properties (correlation data). */
  readonly carriesProperties: boolean;
  /**
   * True when the broker may keep a request a client published retained (an external broker:
   * Mosquitto cannot refuse the flag on one topic); the embedded broker clears the flag.
   */
  readonly keepsRetainedRequests: boolean;
  /** Listeners are registered before `open()`; `connect` fires inside it. */
  on(event: LinkEvent, listener: () => void): void;
  /** Resolves once the first session is up; rejects with a TransportError (and leaves nothing running). */
  open(timeoutMs: number): Promise<void>;
  /** Resolves once the broker has taken the message (for QoS 1 and retained ones, stored). */
  publish(topic: string, payload: string | Buffer, options: LinkPublishOptions): Promise<void>;
  /** Resolves once subscribed; the subscription lasts across reconnects. */
  subscribe(
    filter: string,
    onMessage: (message: LinkMessage) => void,
    options?: LinkSubscribeOptions,
  ): Promise<void>;
  /** Closes the link cleanly: no last will. */
  end(): Promise<void>;
  /** Drops the link at once, without waiting for the broker. */
  destroy(): Promise<void>;
}

/** A minimal listener list for the two link events. */
export class LinkListeners {
  private readonly listeners: Record<LinkEvent, Array<() => void>> = { connect: [], offline: [] };

  add(event: LinkEvent, listener: () => void): void {
    this.listeners[event].push(listener);
  }

  emit(event: LinkEvent): void {
    for (const listener of this.listeners[event]) listener();
  }
}

/**
 * True when `topic` matches the subscription `filter` (MQTT 3.1.1 §4.7: `+` is
 * one level, a trailing `#` the rest; wildcards at the first level do not
 * match `$` topics).
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return i === filterLevels.length - 1;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
