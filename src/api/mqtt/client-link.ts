// Types only: the mqtt package itself (~10 MB, ~150 ms to load) is imported in open(),
// so a daemon on its embedded broker never loads it.
import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import { FailureStreak } from '../../core/failure-streak.js';
import type { Logger } from '../../core/logger.js';
import { type BackoffPolicy, backoffDelay } from '../../gateway/backoff.js';
import { brokerRefusalOf } from './broker-refusal.js';
import { type BrokerSettings, brokerLogin, redactBrokerUrl } from './connection.js';
import {
  type LinkEvent,
  LinkListeners,
  type LinkMessage,
  type LinkPublishOptions,
  type LinkSubscribeOptions,
  type MqttLink,
  topicMatchesFilter,
} from './link.js';
import { readMqttTlsFiles } from './tls-files.js';

export interface ClientLinkOptions extends BrokerSettings {
  protocolVersion: 4 | 5;
  /** Seconds between PINGREQs when otherwise silent; the broker gives up after 1.5 times this. */
  keepaliveSeconds: number;
  clientId: string;
  /** What the broker publishes for us when the connection dies without a DISCONNECT. */
  will: { topic: string; payload: string };
  reconnectPeriodMs: number;
  logger: Logger;
  clock: Clock;
  /** A connection up this long ends a run of failures (default 60 s): the next one is said again. */
  stableMs?: number;
}

/**
 * A broker that refuses the desk's login (a wrong password, a user not yet in its password file, an
 * ACL), or whose TLS and the desk's do not agree (a CA file of another CA, a certificate made out
 * for another name, a client certificate missing), is dialled again after 30 s, then 1, 2, 4 and 5
 * minutes: IT putting it right sees the desk come back by itself, and the broker's log is not
 * flooded with refusals every second. The wait is the clock's timer `mqtt-refused-retry` (a test's
 * clock may shorten it).
 */
export const REFUSED_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 30_000,
  maxMs: 300_000,
  factor: 2,
  jitter: 0.2,
});

/**
 * A connection dropped this soon after it was made, three times running, is dropped by something
 * on purpose rather than by the network. Under `use_username_as_clientid` it is most often a second
 * client logging in as the desk's user: each takes the other's session over, for ever.
 */
const QUICK_DROP_MS = 5000;
const QUICK_DROPS_SAID = 3;
const QUICK_DROP_HINT =
  "the broker drops the connection right after each connect: is another client logged in as this desk's MQTT user (a second desk with this configuration)?";

interface Subscription {
  filter: string;
  onMessage: (message: LinkMessage) => void;
  /** Acknowledged by the broker in this session; sent again on every connect. */
  sent: boolean;
  /**
   * Subscribed with retain-as-published (MQTT 5 links only), and the subscription identifiers of
   * its live subscription and of its replay subscription: see `send`.
   */
  retainAsPublished?: { liveId: number; replayId: number } | undefined;
}

/**
 * A link to a broker over the network through mqtt.js: clean session, keepalive,
 * a retained last will, reconnect every `reconnectPeriodMs` with the
 * subscriptions renewed, and nothing queued while offline.
 *
 * A broker that cannot be reached when the link opens (the desk booted before
 * the network, the fleet broker is being restarted) is not a failure: the link
 * keeps dialling and subscribes once it connects. A broker refusing the desk's login, or a TLS
 * handshake either side refuses, is dialled again too, slowly (REFUSED_BACKOFF), the TLS files read
 * again before each attempt: IT mends it on the broker or in those files. Only unreadable
 * certificate files at the start and no mqtt package fail `open()`.
 */
export class ClientLink implements MqttLink {
  readonly where: string;
  private readonly listeners = new LinkListeners();
  private readonly subscriptions: Subscription[] = [];
  private client: MqttClient | undefined;
  /** Why the broker cannot be reached, for the warning and /readyz; cleared on connect. */
  private lastFailure: string | undefined;
  /**
   * The connection's failures in a row — unreachable, or dropped soon after each connect (a flaky
   * link, two desks taking each other's session) — said when they start or change and every ten
   * minutes, not at every reconnect; a connection that stays up `stableMs` ends the run.
   */
  private readonly failures: FailureStreak;
  /** Whether the last failure was said (warn), so its recovery is said too. */
  private failureSaid = false;
  private connectedAt: number | undefined;
  private quickDrops = 0;
  private stable: TimerHandle | undefined;
  /** Refusals (of the desk's login, or of a TLS handshake) since it last connected; each waits longer. */
  private refusals = 0;
  /** What the last refusal was, for the line said when the broker takes the desk after all. */
  private refusedWhat: 'login' | 'tls' = 'login';
  /** The next attempt after a refusal, on the clock (mqtt.js's own timer is held off meanwhile). */
  private refusedRetry: TimerHandle | undefined;

  constructor(private readonly options: ClientLinkOptions) {
    this.where = redactBrokerUrl(options.url);
    this.failures = new FailureStreak(options.clock);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get lastError(): string | undefined {
    return this.connected ? undefined : this.lastFailure;
  }

  /** Any broker over the network may keep a request published retained (Mosquitto does). */
  readonly keepsRetainedRequests = true;

  get carriesProperties(): boolean {
    return this.options.protocolVersion === 5;
  }

  on(event: LinkEvent, listener: () => void): void {
    this.listeners.add(event, listener);
  }

  /**
   * Dials the broker; resolves once connected, or once the first attempt has failed or `timeoutMs`
   * has passed (the link then keeps dialling; `connected` says which). Rejects, and stops dialling,
   * only on what retrying cannot fix.
   */
  async open(timeoutMs: number): Promise<void> {
    if (this.client) throw new Error('ClientLink is opened once');
    const { options } = this;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: options.protocolVersion,
      clean: true,
      keepalive: options.keepaliveSeconds,
      // The link subscribes again itself on every connect (`subscribeUnsent`), in its own order.
      resubscribe: false,
      connectTimeout: Math.min(timeoutMs, 30_000),
      reconnectPeriod: options.reconnectPeriodMs,
      reconnectOnConnackError: true,
      queueQoSZero: false,
      will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true },
      ...(await brokerLogin(options)),
    };
    let mqtt: typeof import('mqtt');
    try {
      mqtt = await import('mqtt');
    } catch (error) {
      throw new TransportError(
        'mqtt_client_missing',
        `the mqtt package is needed for an external MQTT broker: ${describeError(error).message}`,
      );
    }

    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;
    client.on('connect', () => {
      if (this.lastFailure !== undefined)
        options.logger[this.failureSaid ? 'info' : 'debug'](
          { broker: this.where },
          'MQTT broker connected after being unreachable',
        );
      this.connectedAt = options.clock.monotonic();
      this.stable?.cancel();
      this.stable = options.clock.setTimeout(
        'mqtt-stable',
        () => {
          this.failures.ended();
          this.quickDrops = 0;
        },
        options.stableMs ?? 60_000,
      );
      if (this.refusals > 0)
        options.logger.info(
          { broker: this.where, refusals: this.refusals },
          this.refusedWhat === 'login'
            ? "MQTT broker took the desk's login after refusing it"
            : 'MQTT broker connected over TLS after the handshake was refused',
        );
      this.refusals = 0;
      this.lastFailure = undefined;
      this.subscribeUnsent(client);
      this.listeners.emit('connect');
    });
    client.on('message', (topic, payload, packet) => this.deliver(topic, payload, packet));
    client.on('close', () => {
      for (const subscription of this.subscriptions) subscription.sent = false;
    });
    client.on('offline', () => {
      this.stable?.cancel();
      const lived = this.connectedAt === undefined ? undefined : options.clock.monotonic() - this.connectedAt;
      this.connectedAt = undefined;
      if (lived !== undefined) this.quickDrops = lived < QUICK_DROP_MS ? this.quickDrops + 1 : 0;
      if (this.quickDrops >= QUICK_DROPS_SAID) this.lastFailure = QUICK_DROP_HINT;
      const reason = this.lastFailure ?? 'connection closed';
      const note = this.failures.failed('mqtt_unreachable', reason);
      this.failureSaid = note.say;
      options.logger[note.say ? 'warn' : 'debug'](
        {
          broker: this.where,
          reason,
          retryMs: options.reconnectPeriodMs,
          ...(note.attempts > 1 && { attempts: note.attempts, since: new Date(note.since).toISOString() }),
        },
        'MQTT broker unreachable; retrying',
      );
      this.listeners.emit('offline');
    });
    client.on('error', (error: Error & { code?: unknown }) => {
      // mqtt.js passes one TLS failure on twice: the attempt is refused once.
      if (this.refusedRetry !== undefined) return;
      this.lastFailure = error.message;
      const refusal = brokerRefusalOf(error, options);
      if (refusal) {
        this.refused(client, refusal.kind, refusal.said);
        return;
      }
      options.logger.debug({ err: describeError(error) }, 'MQTT client error');
    });
    try {
      await this.firstAttempt(client, timeoutMs);
    } catch (error) {
      await client.endAsync(true).catch(() => {});
      throw error;
    }
  }

  async publish(topic: string, payload: string | Buffer, options: LinkPublishOptions): Promise<void> {
    const client = this.client;
    if (!client?.connected)
      throw new TransportError('mqtt_offline', `MQTT broker ${this.where} is not connected`);
    const properties =
      options.correlationData !== undefined && this.carriesProperties
        ? { properties: { correlationData: options.correlationData } }
        : {};
    await client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain, ...properties });
  }

  /**
   * Subscribes now when connected, else on the first connect, and again on every later one. A
   * connection lost before the broker answered is no failure: the subscription is sent on the next
   * connect, as one made while offline.
   */
  async subscribe(
    filter: string,
    onMessage: (message: LinkMessage) => void,
    options: LinkSubscribeOptions = {},
  ): Promise<void> {
    const client = this.client;
    if (!client) throw new TransportError('mqtt_offline', `MQTT broker ${this.where} is not opened`);
    const subscription: Subscription = { filter, onMessage, sent: false };
    // Two identifiers per such subscription, 1 and 2 for the first, 3 and 4 for the next…
    if (options.retainAsPublished === true && this.carriesProperties && filter.endsWith('/#')) {
      const serial = this.subscriptions.filter((s) => s.retainAsPublished).length;
      subscription.retainAsPublished = { liveId: 2 * serial + 1, replayId: 2 * serial + 2 };
    }
    this.subscriptions.push(subscription);
    if (!client.connected) return;
    try {
      await this.send(client, subscription);
    } catch (error) {
      if (client.connected) throw error;
    }
  }

  /**
   * One subscription, for this session. With retain-as-published (MQTT 5, a broker that takes
   * subscription identifiers), it is made live first — retain-as-published, no retained messages
   * (`rh` 2), its own identifier — so that each message's retain flag is its publisher's; then the
   * same topics through an equal filter (`a/+/#` for `a/#`) with the replay identifier, as usual, so
   * the broker hands over what it keeps there (retain set), which is dropped again once it has. A
   * live message that comes through both while they overlap comes twice, once with each identifier;
   * `deliver` passes on the live one.
   */
  private async send(client: MqttClient, subscription: Subscription): Promise<void> {
    const ids = subscription.retainAsPublished;
    if (ids && this.takesSubscriptionIds(client)) {
      const { filter } = subscription;
      await client.subscribeAsync(filter, {
        qos: 1,
        rap: true,
        rh: 2,
        properties: { subscriptionIdentifier: ids.liveId },
      });
      const replays = `${filter.slice(0, -1)}+/#`;
      await client.subscribeAsync(replays, {
        qos: 0,
        rh: 0,
        properties: { subscriptionIdentifier: ids.replayId },
      });
      // The UNSUBACK comes after what the broker handed over.
      await client.unsubscribeAsync(replays);
    } else {
      await client.subscribeAsync(subscription.filter, { qos: 1 });
    }
    subscription.sent = true;
  }

  /** MQTT 5 brokers take subscription identifiers unless their CONNACK says otherwise. */
  private takesSubscriptionIds(client: MqttClient): boolean {
    const connack = (client as unknown as { connackPacket?: IConnackPacket }).connackPacket;
    return connack?.properties?.subscriptionIdentifiersAvailable !== false;
  }

  private subscribeUnsent(client: MqttClient): void {
    for (const subscription of this.subscriptions) {
      if (subscription.sent) continue;
      this.send(client, subscription).catch((error: unknown) => {
        // Not sent: the next connect tries again. A connection that dropped meanwhile (a session
        // taken over, a flaky link) is said by the drops' own warnings, a few and not one per
        // reconnect: only a broker that refused the subscription on a live connection is warned of.
        const fields = { broker: this.where, err: describeError(error) };
        const said = 'MQTT subscription not taken; retried on reconnect';
        if (client.connected) this.options.logger.warn(fields, said);
        else this.options.logger.debug(fields, said);
      });
    }
  }

  /**
   * The broker's CONNACK refused the desk's login, or a TLS handshake was refused (by the broker, or
   * by the desk not trusting the broker's certificate), at start or on a reconnect. Dialling again
   * every second would only fill both logs; it is dialled again after REFUSED_BACKOFF's wait, said
   * once per attempt, and /readyz says why and when it is tried next. The TLS files are read again
   * before that attempt (IT may have put the right CA in mqtt.caFile). Called by mqtt.js before it
   * sets its own reconnect timer: that timer is held off (reconnectPeriod 0) until this attempt, and
   * a broker that turns out unreachable then is dialled every `reconnectPeriodMs` again.
   */
  private refused(client: MqttClient, what: 'login' | 'tls', reason: string): void {
    const { options } = this;
    this.refusals++;
    this.refusedWhat = what;
    const waitMs = backoffDelay(this.refusals - 1, REFUSED_BACKOFF);
    const at = new Date(options.clock.now() + waitMs).toISOString().replace(/\.\d+Z$/, 'Z');
    this.lastFailure = `${reason}; trying again at ${at} (${
      this.refusals === 1 ? 'refused once' : `refused ${this.refusals} times`
    })`;
    client.options.reconnectPeriod = 0;
    this.refusedRetry?.cancel();
    this.refusedRetry = options.clock.setTimeout(
      'mqtt-refused-retry',
      () => {
        void this.readTlsAgain(client).then(() => {
          this.refusedRetry = undefined;
          client.options.reconnectPeriod = options.reconnectPeriodMs;
          if (!client.disconnecting) client.reconnect();
        });
      },
      waitMs,
    );
    options.logger.warn(
      { broker: this.where, reason, refusals: this.refusals, retryMs: waitMs },
      `${what === 'login' ? "MQTT broker refused the desk's login" : 'MQTT TLS handshake refused'}; trying again in ${Math.round(waitMs / 1000)} s`,
    );
  }

  /** The CA, certificate and key files as they are now; ones that cannot be read leave those in use. */
  private async readTlsAgain(client: MqttClient): Promise<void> {
    try {
      Object.assign(client.options, await readMqttTlsFiles(this.options));
    } catch (error) {
      this.options.logger.warn(
        { broker: this.where, err: describeError(error) },
        'MQTT TLS files not read again; dialling with those read before',
      );
    }
  }

  async end(): Promise<void> {
    this.stable?.cancel();
    this.refusedRetry?.cancel();
    await this.client?.endAsync();
  }

  async destroy(): Promise<void> {
    this.stable?.cancel();
    this.refusedRetry?.cancel();
    const client = this.client;
    if (!client) return;
    // An end() that the broker never answered leaves the client disconnecting: cut the socket.
    if (client.disconnecting) client.stream?.destroy();
    else await client.endAsync(true).catch(() => {});
  }

  private deliver(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const { responseTopic, correlationData } = packet.properties ?? {};
    const retain = packet.retain === true;
    const properties = {
      ...(typeof responseTopic === 'string' && { responseTopic }),
      ...(Buffer.isBuffer(correlationData) && { correlationData }),
    };
    const ids = [packet.properties?.subscriptionIdentifier ?? []].flat();
    for (const subscription of this.subscriptions) {
      if (!topicMatchesFilter(subscription.filter, topic)) continue;
      const rap = subscription.retainAsPublished;
      let message: LinkMessage;
      if (rap && ids.includes(rap.liveId)) {
        // Through the live subscription: the retain flag is the publisher's.
        message = { topic, payload, retained: false, publishedRetained: retain, ...properties };
      } else if (rap && ids.includes(rap.replayId)) {
        // Handed over from the broker's store; a live one comes through the live subscription too.
        if (!retain) continue;
        message = { topic, payload, retained: true, ...properties };
      } else {
        message = { topic, payload, retained: retain, ...properties };
      }
      subscription.onMessage(message);
    }
  }

  /** The first connect, a failed first attempt or the timeout resolve; a refusal retrying cannot fix rejects. */
  private firstAttempt(client: MqttClient, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        timer.cancel();
        client.off('connect', onConnect);
        client.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onConnect = () => finish();
      // mqtt.js has logged it unreachable ('offline') and dials again.
      const onClose = () => finish();
      const onTimeout = () => {
        this.options.logger.warn(
          { broker: this.where, timeoutMs, retryMs: this.options.reconnectPeriodMs },
          'MQTT broker has not answered yet; still trying',
        );
        finish();
      };
      const timer = this.options.clock.setTimeout('mqtt-connect', onTimeout, timeoutMs);
      client.on('connect', onConnect);
      client.on('close', onClose);
    });
  }
}
