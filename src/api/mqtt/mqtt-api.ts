import { randomBytes } from 'node:crypto';
import { type Clock, systemClock, type TimerHandle, withDeadline } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceEvent, DeviceState } from '../../devices/device-state.js';
import type { DeskTotals } from '../../gateway/desk-totals.js';
import type { EventBus } from '../../gateway/event-bus.js';
import type { Principal } from '../http/auth.js';
import { ClientLink } from './client-link.js';
import type { LocalBroker } from './embedded-broker.js';
import { EmbeddedLink } from './embedded-link.js';
import type { LinkMessage, MqttLink } from './link.js';
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

/** A broker reached over the network through mqtt.js (an external one, or any broker by URL). */
export interface MqttApiClientOptions {
  /** mqtt://, mqtts://, ws://, wss:// */
  url: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed an external broker's certificate. */
  caFile?: string;
  /** A client certificate and its key (PEM files), for a broker that asks for one. */
  certFile?: string;
  keyFile?: string;
  /** 4 (MQTT 3.1.1, what aedes speaks) or 5 (default; correlation data and response topics). */
  protocolVersion?: 4 | 5;
  /** MQTT keep-alive in seconds (default 30): the broker publishes the last will after 1.5 times this in silence. */
  keepaliveSeconds?: number;
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
  /** Since when this desk says it is online (its last connect), for the state it publishes again. */
  private onlineSince: string | undefined;
  /**
   * Another desk publishing as this one (its site and gateway), while it does: when it was last
   * said (monotonic ms), so that it is said again every TWIN_REMINDER_MS, not at each of its states.
   */
  private twin: { saidAt: number } | undefined;
  /** Sessions with the broker so far: the first one's state subscription is made after its online. */
  private connects = 0;
  /**
   * Waiting for this desk's own `state` to come back from an external broker: a publish its ACL
   * refuses is dropped without a word over MQTT 3.1.1 (and QoS 0 on MQTT 5). `unheard` is set
   * while it does not come back; `unheardSaid`, once the warning was given this run.
   */
  private echo: { timer: TimerHandle } | undefined;
  private unheard = false;
  private unheardSaid = false;

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
    if (link.connected) return this.twin ? this.twinSaid() : this.unheard ? this.unheardSaidAs() : undefined;
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
        link.subscribe(this.topics.state().name, (message) => this.onStateMessage(message)),
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

  /** Publishes the retained state `offline`, disconnects cleanly (no last will) and detaches from the bus. */
  async stop(): Promise<void> {
    const link = this.link;
    if (!link || this.stopped) return;
    this.stopped = true;
    this.echo?.timer.cancel();
    this.echo = undefined;
    this.options.bus.removeAllListenersOf(this);
    this.requests.close();
    let clean = false;
    try {
      if (link.connected) {
        const state = this.topics.state();
        const offline = {
          status: 'offline' as const,
          since: new Date(this.clock.now()).toISOString(),
          instance: this.instance,
        };
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

  private createLink(): MqttLink {
    const { options } = this;
    if (options.embedded !== undefined) return new EmbeddedLink(options.embedded);
    const state = this.topics.state();
    return new ClientLink({
      url: options.url,
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
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
      ...(options.caFile !== undefined && { caFile: options.caFile }),
      ...(options.certFile !== undefined && { certFile: options.certFile }),
      ...(options.keyFile !== undefined && { keyFile: options.keyFile }),
    });
  }

  /** On every (re)connect: the broker may have lost its retained messages, so publish them all again. */
  private onConnect(): void {
    const link = this.link;
    if (!link) return;
    const since = new Date(this.clock.now()).toISOString();
    this.onlineSince = since;
    this.connects++;
    this.publish(link, this.topics.state(), { status: 'online', since, instance: this.instance });
    this.awaitEcho();
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

  /**
   * This desk's own `state` topic, as published live by anyone, and as the broker keeps it when
   * the first session subscribes — which it does after publishing its online, so what the broker
   * keeps then is newer than that; on a later session the subscription is made again before the
   * online, and the copy kept may be an earlier run's (a broker restored from its persistence file),
   * so it is not taken. This desk's own states come back with its instance. Another `online` is
   * another desk configured with the same site and gateway — a desk PC cloned from another's, on a
   * broker that does not make client ids of user names: both take every request sent to the desk
   * and the fleet view mixes them. It is said in
   * the log and on /readyz (and so by `carrel doctor` and /metrics), and this desk says it is
   * online again once, so that the other desk hears of it too. Another `offline` (the other desk's
   * last will or its stop) left the broker saying this living desk is offline: it says online again.
   */
  private onStateMessage(message: LinkMessage): void {
    const link = this.link;
    if (message.payload.length === 0 || this.stopped || !link?.connected) return;
    if (message.retained && this.connects > 1) return;
    let state: unknown;
    try {
      state = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return;
    }
    if (typeof state !== 'object' || state === null) return;
    const { status, instance } = state as { status?: unknown; instance?: unknown };
    if (instance === this.instance) {
      if (status === 'online') this.heardOwnState();
      return;
    }
    const now = this.clock.monotonic();
    if (status === 'online') {
      const first = this.twin === undefined;
      if (first || now - this.twin!.saidAt >= TWIN_REMINDER_MS) {
        this.twin = { saidAt: now };
        this.logger.warn({ base: this.topics.base }, this.twinSaid());
      }
      if (first) this.sayOnline(link);
    } else if (status === 'offline') {
      if (this.twin) {
        this.twin = undefined;
        this.logger.info(
          { base: this.topics.base },
          `the other desk publishing as ${this.topics.base} went offline; this desk says it is online again`,
        );
      }
      this.sayOnline(link);
    }
  }

  private sayOnline(link: MqttLink): void {
    if (this.onlineSince === undefined) return;
    this.guarded(() =>
      this.publish(link, this.topics.state(), {
        status: 'online',
        since: this.onlineSince!,
        instance: this.instance,
      }),
    );
  }

  /**
   * Waits for this desk's own online state to come back from an external broker (it subscribes to
   * its state topic). Not back in time: the broker most likely drops what the desk publishes — an
   * ACL that does not let its user write its tree — and dashboards and the fleet view see no state
   * of the desk and no error. Said once in the log and, while it lasts, on /readyz (and so by
   * doctor); the online is published again every minute to see whether it comes back.
   */
  private awaitEcho(): void {
    if (this.options.embedded !== undefined || this.stopped) return;
    this.echo?.timer.cancel();
    const timeoutMs = this.echoTimeoutMs();
    this.echo = {
      timer: this.clock.setTimeout(
        'mqtt-own-state-echo',
        () => {
          this.echo = undefined;
          const link = this.link;
          if (this.stopped || !link?.connected) return;
          this.unheard = true;
          if (!this.unheardSaid) {
            this.unheardSaid = true;
            this.logger.warn(
              { base: this.topics.base, topic: this.topics.state().name },
              this.unheardSaidAs(),
            );
          }
          this.echo = {
            timer: this.clock.setTimeout(
              'mqtt-own-state-recheck',
              () => {
                this.echo = undefined;
                const again = this.link;
                if (this.stopped || !again?.connected) return;
                this.sayOnline(again);
                this.awaitEcho();
              },
              ECHO_RECHECK_MS,
            ),
          };
        },
        timeoutMs,
      ),
    };
  }

  private echoTimeoutMs(): number {
    return (this.options.embedded === undefined && this.options.echoTimeoutMs) || ECHO_TIMEOUT_MS;
  }

  private heardOwnState(): void {
    if (!this.unheard) {
      this.echo?.timer.cancel();
      this.echo = undefined;
      return;
    }
    this.unheard = false;
    this.echo?.timer.cancel();
    this.echo = undefined;
    this.logger.info(
      { base: this.topics.base },
      `the MQTT broker now delivers ${this.topics.state().name} back to this desk: its publishes reach the broker again`,
    );
  }

  private unheardSaidAs(): string {
    const state = this.topics.state().name;
    const seconds = Math.round(this.echoTimeoutMs() / 1000);
    const username = this.options.embedded === undefined ? this.options.username : undefined;
    const user = username === undefined ? 'this desk' : `the desk's MQTT user "${username}"`;
    return `the MQTT broker ${this.link?.where ?? ''} did not deliver this desk's own ${state} back to it within ${seconds} s of publishing it: the broker most likely drops what the desk publishes — its ACL does not let ${user} write (or read) ${this.topics.base}/#, and over MQTT 3.1.1 a broker drops a refused publish without telling the client — so dashboards and the fleet view see no state of this desk; let that user write and read ${this.topics.base}/# in the broker's ACL (carrel mqtt acl prints the lines; reload the broker), and Carrel notices by itself within a minute`;
  }

  private twinSaid(): string {
    return `another desk publishes as ${this.topics.base} on the MQTT broker ${this.link?.where ?? ''}: two desks are configured with site "${this.options.site}" and gateway "${this.options.gateway}" (a desk PC cloned from another?) — both take every MQTT request sent to this desk and the fleet view mixes them; give each desk its own gateway (or site) in its configuration`;
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

/** How long the desk's own state may take to come back from the broker, by default. */
const ECHO_TIMEOUT_MS = 5000;
/** While it does not come back, it is published again this often to see whether it does. */
const ECHO_RECHECK_MS = 60_000;

/** Another desk publishing as this one is said again this often while it goes on. */
const TWIN_REMINDER_MS = 10 * 60_000;

/** Retained requests being cleared at once, at most (a client flooding them cannot grow the set). */
const MAX_CLEARING = 1024;

function bounded<T>(clock: Clock, work: Promise<T>, ms: number): Promise<T> {
  return withDeadline(clock, 'mqtt-wait', work, ms, () => new Error(`no answer in ${ms} ms`));
}
