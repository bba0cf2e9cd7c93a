import { randomBytes } from 'node:crypto';
import { type Clock, systemClock, withDeadline } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceEvent, DeviceState } from '../../devices/device-state.js';
import type { DeskTotals } from '../../gateway/desk-totals.js';
import type { EventBus } from '../../gateway/event-bus.js';
import type { Principal } from '../http/auth.js';
import { ClientLink } from './client-link.js';
import { type BrokerSettings, brokerSettingsOf } from './connection.js';
import type { LocalBroker } from './embedded-broker.js';
import { EmbeddedLink } from './embedded-link.js';
import type { LinkMessage, MqttLink } from './link.js';
import { OwnStateWatch } from './own-state.js';
import { type MqttAction, type OutgoingResponse, RequestDispatcher } from './requests.js';
import { CarrelTopics, encodePayload, type Topic, type TopicKind, type TopicPayloads } from './topics.js';

export interface MqttApiCommonOptions {
  site: string;
  gateway: string;
  bus: EventBus;
  logger: Logger;
  /** Every device's current health record, read on each (re)connect. */
  deviceStates: () => DeviceState[];
  /** The desk's totals as last worked out (read on each (re)connect; changes come as 'desk.totals'). */
  deskTotals?: () => DeskTotals | undefined;
  /** Request actions by name; what `clients/<clientId>/request/<action>` calls. */
  actions: Readonly<Record<string, MqttAction>>;
  /** Who a client is (its credential's scopes), from its client id. */
  principalOf?: (clientId: string) => Principal | undefined;
  /** Each device event as it may leave the gateway (patron privacy at the API edge). */
  publicEvent?: (event: DeviceEvent) => DeviceEvent;
  clock?: Clock;
  /** `start()` gives up after this long. */
  connectTimeoutMs?: number;
  /** Handlers running at once; more wait in a bounded queue. */
  maxConcurrentRequests?: number;
  requestTimeoutMs?: number;
}

/**
 * A broker reached over the network through mqtt.js (an external one, or any broker by URL):
 * MQTT 5 and a keep-alive of 30 s unless the settings say otherwise.
 */
export interface MqttApiClientOptions extends BrokerSettings {
  /** Wait between reconnect attempts after the broker went away. */
  reconnectPeriodMs?: number;
  /**
   * How long the desk's own `state` may take to come back from the broker after it publishes it
   * (5 s) before it says the broker seems to refuse its publishes; then asked again every minute.
   */
  echoTimeoutMs?: number;
  embedded?: undefined;
}

/** The embedded broker in this process, used directly: `startEmbeddedBroker(...).local`. */
export interface MqttApiEmbeddedOptions {
  embedded: LocalBroker;
  url?: undefined;
}

export type MqttApiOptions = MqttApiCommonOptions & (MqttApiClientOptions | MqttApiEmbeddedOptions);

/**
 * Carrel's MQTT API: publishes the gateway's state, every device's state
 * (retained) and device events, and answers each client's
 * `clients/<clientId>/request/<action>` on its `clients/<clientId>/response/<action>`
 * with the response envelope. Talks to the embedded broker in process (`embedded`) or to
 * any broker over the network (`url`, through mqtt.js, loaded only then).
 *
 * Retained messages are the gateway state, the desk totals (counts) and
 * DeviceState only; none ever carries patron data. Device events are not retained. While the broker is
 * unreachable nothing is queued (events are dropped, states are republished in
 * full on reconnect), so memory stays bounded however long the outage.
 */
export class MqttApi {
  private readonly topics: CarrelTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly requests: RequestDispatcher;
  private link: MqttLink | undefined;
  private stopped = false;
  /**
   * Request topics whose retained copy the gateway is clearing, with how many clears are on their
   * way: each comes back to the gateway as an empty message, which is not a request.
   */
  private readonly clearing = new Map<string, number>();
  /** This run's id in the gateway state it publishes: a state with another is another desk's. */
  private readonly instance = randomBytes(6).toString('hex');
  /** Another desk publishing as this one; the broker dropping this desk's publishes. */
  private readonly ownState: OwnStateWatch;

  constructor(private readonly options: MqttApiOptions) {
    this.topics = new CarrelTopics(options.site, options.gateway);
    this.logger = options.logger.child({ module: 'mqtt' });
    this.clock = options.clock ?? systemClock;
    this.requests = new RequestDispatcher({
      topics: this.topics,
      actions: options.actions,
      ...(options.principalOf ? { principalOf: options.principalOf } : {}),
      logger: this.logger,
      clock: this.clock,
      respond: (response) => this.publishResponse(response),
      ...(options.maxConcurrentRequests !== undefined && { maxConcurrent: options.maxConcurrentRequests }),
      ...(options.requestTimeoutMs !== undefined && { timeoutMs: options.requestTimeoutMs }),
    });
    this.ownState = new OwnStateWatch({
      topics: this.topics,
      site: options.site,
      gateway: options.gateway,
      instance: this.instance,
      logger: this.logger,
      clock: this.clock,
      link: () => this.link,
      stopped: () => this.stopped,
      external:
        options.embedded === undefined
          ? { echoTimeoutMs: options.echoTimeoutMs, username: options.username }
          : undefined,
      publishOnline: (link, since) =>
        this.guarded(() =>
          this.publish(link, this.topics.state(), { status: 'online', since, instance: this.instance }),
        ),
    });
  }

  /** True while the link to the broker is up. */
  get connected(): boolean {
    return !this.stopped && (this.link?.connected ?? false);
  }

  /**
   * Why the API does not reach its broker now, for /readyz and /metrics (an external broker it keeps
   * dialling, gone or refusing), or, connected, that another desk publishes as this one; undefined
   * when neither, before start and after stop.
   */
  problem(): string | undefined {
    const link = this.link;
    if (!link || this.stopped) return undefined;
    if (link.connected) return this.ownState.problem();
    const reason = link.lastError;
    // A refused login says when it is tried next; anything else is dialled again every second or so.
    const retry = reason?.includes('trying again') ? '' : '; retrying';
    return `no link to the MQTT broker ${link.where}${reason ? `: ${reason}` : ''}${retry}`;
  }

  /** `carrel/<site>/<gateway>` */
  get baseTopic(): string {
    return this.topics.base;
  }

  /**
   * Connects and subscribes. An external broker that cannot be reached yet does not fail it: the
   * API comes online when the broker does (`connected` says whether it is), as does one refusing
   * the desk's login or a TLS handshake (dialled again slowly). Rejects with a TransportError on
   * what the desk's configuration must fix: unreadable certificate files, a closed embedded broker.
   */
  async start(): Promise<void> {
    if (this.link) throw new Error('MqttApi is started once; make a new one after stop()');
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const link = this.createLink();
    this.link = link;
    link.on('connect', () => this.onConnect());
    // The API edge, taken before the gateway's bookkeeping runs and published just after the emit
    // (`later`): the desk's own clients (a page's WebSocket, an edge listener added after this one)
    // do not wait for the publish — ~0.1 ms a gate alarm with the embedded broker.
    const edge = { edge: true };
    this.options.bus.on(
      'device.state',
      this,
      (state) => this.later(() => this.publishDeviceState(state)),
      edge,
    );
    this.options.bus.on(
      'device.event',
      this,
      (event) => this.later(() => this.publishDeviceEvent(event)),
      edge,
    );
    this.options.bus.on('desk.totals', this, (totals) => this.later(() => this.publishTotals(totals)), edge);

    try {
      await link.open(connectTimeoutMs);
      await bounded(
        this.clock,
        // MQTT 5: each request's retain flag, so that only one published retained is cleared.
        link.subscribe(this.topics.requestFilter(), (message) => this.onMessage(message), {
          retainAsPublished: true,
        }),
        connectTimeoutMs,
      );
      await bounded(
        this.clock,
        link.subscribe(this.topics.deviceStateFilter(), (message) => this.onDeviceStateMessage(message)),
        connectTimeoutMs,
      );
      await bounded(
        this.clock,
        link.subscribe(this.topics.state().name, (message) => this.ownState.onStateMessage(message)),
        connectTimeoutMs,
      );
    } catch (error) {
      this.options.bus.removeAllListenersOf(this);
      this.requests.close();
      await link.destroy().catch(() => {});
      throw error;
    }
    if (link.connected)
      this.logger.info({ broker: link.where, base: this.topics.base }, 'MQTT API connected');
    else this.logger.info({ broker: link.where, base: this.topics.base }, 'MQTT API waiting for the broker');
  }

  /**
   * Publishes each device's retained state as the desk leaves it (`offline`, reason `stopped`, as a
   * device's own stop says it), then the desk's retained state `offline`, disconnects cleanly (no
   * last will) and detaches from the bus: without them a fleet view or `mosquitto_sub` read a
   * stopped desk's devices as online. The next start publishes their states as they are then.
   */
  async stop(): Promise<void> {
    const link = this.link;
    if (!link || this.stopped) return;
    this.stopped = true;
    this.ownState.stop();
    this.options.bus.removeAllListenersOf(this);
    this.requests.close();
    let clean = false;
    try {
      if (link.connected) {
        const since = new Date(this.clock.now()).toISOString();
        await bounded(this.clock, Promise.all(this.stoppedDeviceStates(link, since)), 2000);
        const state = this.topics.state();
        const offline = { status: 'offline' as const, since, instance: this.instance };
        await bounded(
          this.clock,
          link.publish(state.name, encodePayload(state, offline), { qos: state.qos, retain: state.retain }),
          2000,
        );
        await bounded(this.clock, link.end(), 2000);
        clean = true;
      }
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'MQTT API did not stop cleanly');
    }
    // Not connected, or the broker stopped answering: drop the link without waiting.
    if (!clean) await link.destroy().catch(() => {});
    this.logger.info('MQTT API stopped');
  }

  /** Each device's state published as the stop leaves it: offline, `stopped`, since `since`. */
  private stoppedDeviceStates(link: MqttLink, since: string): Array<Promise<void>> {
    let states: DeviceState[] = [];
    try {
      states = this.options.deviceStates();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'could not read device states for MQTT');
    }
    const published: Array<Promise<void>> = [];
    for (const state of states) {
      const left: DeviceState =
        state.status === 'offline' && state.reason === 'stopped'
          ? state
          : { ...state, status: 'offline', reason: 'stopped', since };
      this.guarded(() => {
        const topic = this.topics.deviceState(state.device);
        published.push(
          link.publish(topic.name, encodePayload(topic, left), { qos: topic.qos, retain: topic.retain }).then(
            () => {},
            (error: unknown) =>
              this.logger.warn({ topic: topic.name, err: describeError(error) }, 'MQTT publish failed'),
          ),
        );
      });
    }
    return published;
  }

  private createLink(): MqttLink {
    const { options } = this;
    if (options.embedded !== undefined) return new EmbeddedLink(options.embedded);
    const state = this.topics.state();
    return new ClientLink({
      ...brokerSettingsOf(options),
      protocolVersion: options.protocolVersion ?? 5,
      keepaliveSeconds: options.keepaliveSeconds ?? 30,
      clientId: `carrel-${options.gateway}-${randomBytes(4).toString('hex')}`,
      // The last will carries no `since`: the broker cannot know it.
      will: {
        topic: state.name,
        payload: encodePayload(state, { status: 'offline', instance: this.instance }),
      },
      reconnectPeriodMs: options.reconnectPeriodMs ?? 1000,
      logger: this.logger,
      clock: this.clock,
    });
  }

  /** On every (re)connect: the broker may have lost its retained messages, so publish them all again. */
  private onConnect(): void {
    const link = this.link;
    if (!link) return;
    const since = new Date(this.clock.now()).toISOString();
    this.ownState.connected(since);
    this.publish(link, this.topics.state(), { status: 'online', since, instance: this.instance });
    this.ownState.awaitEcho();
    let states: DeviceState[] = [];
    try {
      states = this.options.deviceStates();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'could not read device states for MQTT');
    }
    for (const state of states) this.publishDeviceState(state);
    let totals: DeskTotals | undefined;
    try {
      totals = this.options.deskTotals?.();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'could not read the desk totals for MQTT');
    }
    if (totals) this.publishTotals(totals);
  }

  private publishTotals(totals: DeskTotals): void {
    const link = this.link;
    if (!link?.connected) return;
    this.publish(link, this.topics.totals(), totals);
  }

  private onMessage(message: LinkMessage): void {
    const request = this.topics.requestOf(message.topic);
    if (request === undefined) return;
    const { clientId, action } = request;
    // A request the gateway cleared (below) comes back to it as an empty message: it is no request.
    if (message.payload.length === 0 && this.takeClearing(message.topic)) return;
    if (message.retained) {
      // An empty retained message is one already cleared.
      if (message.payload.length > 0) this.clearRetainedRequest(message.topic, clientId, action);
      return;
    }
    // A request published retained while the desk is connected reaches it as a live one, and a
    // broker that keeps it (Mosquitto) would hand its patron and PIN to the gateway's user until the
    // desk next connects, and keep them in its persistence file: it is cleared at once, and answered
    // once. MQTT 5 says which request was published retained (retain-as-published); MQTT 3.1.1 gives
    // a subscriber no retain flag on a live message, so there each request's topic is cleared.
    if (this.link?.keepsRetainedRequests && message.payload.length > 0 && message.publishedRetained !== false)
      this.clearLiveRequest(
        message.topic,
        message.publishedRetained === true ? { clientId, action } : undefined,
      );
    this.requests.accept({
      clientId,
      action,
      payload: message.payload,
      ...(message.responseTopic !== undefined && { responseTopic: message.responseTopic }),
      ...(message.correlationData !== undefined && { correlationData: message.correlationData }),
    });
  }

  /**
   * A request a client published retained, as the broker keeps it (Mosquitto cannot refuse the retain
   * flag on one topic) and hands it to the gateway on each connect. It names a patron and may carry a
   * PIN, kept on the broker (and in its persistence file) for as long as nobody clears it: the gateway,
   * which may write its whole tree, clears it (an empty retained payload). It is never acted on: it
   * would run again on every reconnect (a receipt printed twice). The client was answered when it
   * published it (a broker hands a retained publish to its subscribers as a live message).
   */
  private clearRetainedRequest(topic: string, clientId: string, action: string): void {
    // The action is logged only when it is one: any other topic is the client's own text, and
    // may name a patron (`request/patrons/21000001`).
    const named = Object.hasOwn(this.options.actions, action) ? action : '(none)';
    const link = this.link;
    if (!link?.connected) return;
    this.addClearing(topic);
    link.publish(topic, '', { qos: 1, retain: true }).then(
      () =>
        this.logger.warn(
          { action: named, clientId },
          'cleared a request kept retained on the MQTT broker, not acted on; publish requests without the retain flag',
        ),
      (error: unknown) => {
        this.takeClearing(topic);
        this.logger.warn(
          { action: named, clientId, err: describeError(error) },
          'ignored a request kept retained on the MQTT broker, and could not clear it; publish requests without the retain flag',
        );
      },
    );
  }

  /**
   * Clears whatever the broker keeps on a request topic a request just came in on (an empty
   * retained payload; nothing when the request was not retained). `retained` names a request known
   * to have been published retained (MQTT 5), said once cleared; over MQTT 3.1.1 the gateway cannot
   * tell a retained request from another, the clear is its answer to each, and nothing is said.
   */
  private clearLiveRequest(topic: string, retained?: { clientId: string; action: string }): void {
    const link = this.link;
    if (!link?.connected) return;
    this.addClearing(topic);
    link.publish(topic, '', { qos: 1, retain: true }).then(
      () => {
        if (retained)
          this.logger.warn(
            {
              clientId: retained.clientId,
              // Only an action's name: any other topic is the client's text, and may name a patron.
              action: Object.hasOwn(this.options.actions, retained.action) ? retained.action : '(none)',
            },
            'answered a request published retained and cleared it from the MQTT broker; publish requests without the retain flag',
          );
      },
      (error: unknown) => {
        this.takeClearing(topic);
        this.logger.debug({ err: describeError(error) }, 'a request topic not cleared on the MQTT broker');
      },
    );
  }

  private addClearing(topic: string): void {
    // A client flooding requests on made-up topics cannot grow the map without bound.
    if (this.clearing.size >= MAX_CLEARING && !this.clearing.has(topic)) this.clearing.clear();
    this.clearing.set(topic, (this.clearing.get(topic) ?? 0) + 1);
  }

  /** True when a clear of `topic` was on its way (its echo is then taken). */
  private takeClearing(topic: string): boolean {
    const count = this.clearing.get(topic);
    if (count === undefined) return false;
    if (count <= 1) this.clearing.delete(topic);
    else this.clearing.set(topic, count - 1);
    return true;
  }

  /**
   * A device's state is retained, so a broker that outlives the desk's configuration (an external
   * Mosquitto with persistence) keeps the last state of a device since removed or renamed, and
   * hands it to every dashboard and the fleet view for ever — as online, when the run that had it
   * ended in a crash. On each connect the broker replays the retained states of this desk's tree:
   * one of a device this desk does not have is cleared (an empty retained payload deletes it).
   */
  private onDeviceStateMessage(message: LinkMessage): void {
    // A live state is this desk's own (only the gateway writes its tree); a cleared one is gone.
    if (!message.retained || message.payload.length === 0) return;
    const device = this.topics.deviceOfState(message.topic);
    const link = this.link;
    if (device === undefined || !link?.connected) return;
    let configured: boolean;
    try {
      configured = this.options.deviceStates().some((state) => state.device === device);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'could not read device states for MQTT');
      return;
    }
    if (configured) return;
    link.publish(message.topic, '', { qos: 1, retain: true }).then(
      () =>
        this.logger.info({ device }, 'MQTT: cleared the retained state of a device this desk no longer has'),
      (error: unknown) =>
        this.logger.warn(
          { device, err: describeError(error) },
          "MQTT: a removed device's retained state not cleared",
        ),
    );
  }

  private publishDeviceState(state: DeviceState): void {
    const link = this.link;
    if (!link?.connected) return;
    this.guarded(() => this.publish(link, this.topics.deviceState(state.device), state));
  }

  private publishDeviceEvent(event: DeviceEvent): void {
    const link = this.link;
    if (!link?.connected) {
      this.logger.debug(
        { device: event.device, type: event.type },
        'MQTT offline: device event not published',
      );
      return;
    }
    const published = this.options.publicEvent ? this.options.publicEvent(event) : event;
    this.guarded(() => this.publish(link, this.topics.deviceEvent(event.device, event.type), published));
  }

  private publishResponse(response: OutgoingResponse): void {
    const link = this.link;
    if (!link?.connected) {
      // Whatever the action did stays done: the client hears nothing and must ask again (its requestId
      // answers what was done). Said, so that IT can tell a kiosk that got no answer why.
      if (!this.stopped)
        this.logger.warn(
          {
            clientId: response.clientId,
            action: response.action,
            status: response.envelope.status,
            ...(response.envelope.error && { code: response.envelope.error.code }),
          },
          'MQTT answer not sent: no link to the broker',
        );
      return;
    }
    let payload: string;
    try {
      payload = JSON.stringify(response.envelope);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'MQTT response could not be encoded');
      payload = JSON.stringify({
        status: 'error',
        data: null,
        error: { code: 'internal', message: 'internal error' },
        transaction: response.envelope.transaction,
      });
    }
    link
      .publish(response.topic, payload, {
        qos: 1,
        retain: false,
        ...(response.correlationData !== undefined && { correlationData: response.correlationData }),
      })
      .catch((error: unknown) =>
        this.logger.warn(
          { clientId: response.clientId, action: response.action, err: describeError(error) },
          'MQTT answer not sent',
        ),
      );
  }

  private publish<K extends TopicKind>(link: MqttLink, topic: Topic<K>, payload: TopicPayloads[K]): void {
    link
      .publish(topic.name, encodePayload(topic, payload), { qos: topic.qos, retain: topic.retain })
      .catch((error: unknown) =>
        this.logger.warn({ topic: topic.name, err: describeError(error) }, 'MQTT publish failed'),
      );
  }

  /**
   * Publishes in a microtask, once the emit that brought the event has reached every listener: in
   * the order the events came (microtasks run in turn), none after the API stopped.
   */
  private later(publish: () => void): void {
    queueMicrotask(() => {
      if (!this.stopped) this.guarded(publish);
    });
  }

  /** A bad id from a device (a "/" in it) is logged, never thrown into the bus. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'MQTT message not published');
    }
  }
}

/** Retained requests being cleared at once, at most (a client flooding them cannot grow the set). */
const MAX_CLEARING = 1024;

function bounded<T>(clock: Clock, work: Promise<T>, ms: number): Promise<T> {
  return withDeadline(clock, 'mqtt-wait', work, ms, () => new Error(`no answer in ${ms} ms`));
}
