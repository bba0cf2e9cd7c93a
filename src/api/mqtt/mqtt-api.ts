import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { type Clock, systemClock } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceEvent, DeviceState } from '../../devices/device-state.js';
import type { EventBus } from '../../gateway/event-bus.js';
import { redactBrokerUrl } from './connection.js';
import { type MqttAction, type OutgoingResponse, RequestDispatcher } from './requests.js';
import { CarrelTopics, encodePayload, type Topic, type TopicKind, type TopicPayloads } from './topics.js';

export interface MqttApiOptions {
  site: string;
  gateway: string;
  /** The broker to connect to: the embedded one or an external one (mqtt://, mqtts://, ws://, wss://). */
  url: string;
  username?: string;
  password?: string;
  /** PEM file of the CA that signed an external broker's certificate. */
  caFile?: string;
  /** 4 (MQTT 3.1.1, what aedes speaks) or 5 (default; correlation data and response topics). */
  protocolVersion?: 4 | 5;
  bus: EventBus;
  logger: Logger;
  /** Every device's current health record, read on each (re)connect. */
  deviceStates: () => DeviceState[];
  /** Request actions by name; what `request/<action>` calls. */
  actions: Readonly<Record<string, MqttAction>>;
  clock?: Clock;
  /** `start()` gives up after this long. */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts after the broker went away. */
  reconnectPeriodMs?: number;
  /** Handlers running at once; more wait in a bounded queue. */
  maxConcurrentRequests?: number;
  requestTimeoutMs?: number;
}

/** Connect-refusal codes that retrying will not fix (bad credentials, not authorized, bad protocol). */
const FATAL_CONNACK_CODES = new Set([1, 2, 4, 5, 128, 132, 133, 134, 135, 138, 140]);

/**
 * Carrel's MQTT API: publishes the gateway's state, every device's state
 * (retained) and device events, and answers `request/<action>` with the
 * response envelope. Works against the embedded broker and external ones.
 *
 * Retained messages are the gateway state and DeviceState only; neither ever
 * carries patron data. Device events are not retained. While the broker is
 * unreachable nothing is queued (events are dropped, states are republished in
 * full on reconnect), so memory stays bounded however long the outage.
 */
export class MqttApi {
  private readonly topics: CarrelTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly requests: RequestDispatcher;
  private client: MqttClient | undefined;
  private stopped = false;

  constructor(private readonly options: MqttApiOptions) {
    this.topics = new CarrelTopics(options.site, options.gateway);
    this.logger = options.logger.child({ module: 'mqtt' });
    this.clock = options.clock ?? systemClock;
    this.requests = new RequestDispatcher({
      topics: this.topics,
      actions: options.actions,
      logger: this.logger,
      clock: this.clock,
      respond: (response) => this.publishResponse(response),
      ...(options.maxConcurrentRequests !== undefined && { maxConcurrent: options.maxConcurrentRequests }),
      ...(options.requestTimeoutMs !== undefined && { timeoutMs: options.requestTimeoutMs }),
    });
  }

  /** True while the client holds a live broker session. */
  get connected(): boolean {
    return !this.stopped && (this.client?.connected ?? false);
  }

  /** `carrel/<site>/<gateway>` */
  get baseTopic(): string {
    return this.topics.base;
  }

  /** Connects; resolves once connected and subscribed, rejects with a TransportError after `connectTimeoutMs`. */
  async start(): Promise<void> {
    if (this.client) throw new Error('MqttApi is started once; make a new one after stop()');
    const where = redactBrokerUrl(this.options.url);
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const clientOptions: IClientOptions = {
      clientId: `carrel-${this.options.gateway}-${randomBytes(4).toString('hex')}`,
      protocolVersion: this.options.protocolVersion ?? 5,
      clean: true,
      keepalive: 30,
      resubscribe: true,
      connectTimeout: Math.min(connectTimeoutMs, 30_000),
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      reconnectOnConnackError: true,
      queueQoSZero: false,
      will: {
        topic: this.topics.state().name,
        payload: Buffer.from(JSON.stringify({ status: 'offline' })),
        qos: 1,
        retain: true,
      },
      ...(this.options.username !== undefined && { username: this.options.username }),
      ...(this.options.password !== undefined && { password: this.options.password }),
    };
    if (this.options.caFile !== undefined) {
      try {
        clientOptions.ca = await readFile(this.options.caFile);
      } catch (error) {
        throw new TransportError(
          'mqtt_ca_unreadable',
          `cannot read MQTT caFile ${this.options.caFile}: ${describeError(error).message}`,
        );
      }
    }

    const client = connect(this.options.url, clientOptions);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet));
    client.on('offline', () => this.logger.warn({ broker: where }, 'MQTT broker unreachable; retrying'));
    client.on('error', (error) => this.logger.debug({ err: describeError(error) }, 'MQTT client error'));
    this.options.bus.on('device.state', this, (state) => this.publishDeviceState(state));
    this.options.bus.on('device.event', this, (event) => this.publishDeviceEvent(event));

    try {
      await this.waitForFirstConnect(client, where, connectTimeoutMs);
      // mqtt.js (resubscribe) renews this subscription after every reconnect.
      await this.bounded(client.subscribeAsync(this.topics.requestFilter(), { qos: 1 }), connectTimeoutMs);
    } catch (error) {
      this.options.bus.removeAllListenersOf(this);
      this.requests.close();
      await client.endAsync(true).catch(() => {});
      throw error;
    }
    this.logger.info({ broker: where, base: this.topics.base }, 'MQTT API connected');
  }

  /** Publishes the retained state `offline`, disconnects cleanly (no last will) and detaches from the bus. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client || this.stopped) return;
    this.stopped = true;
    this.options.bus.removeAllListenersOf(this);
    this.requests.close();
    let clean = false;
    try {
      if (client.connected) {
        const offline = { status: 'offline' as const, since: new Date(this.clock.now()).toISOString() };
        await this.bounded(this.publishAsync(client, this.topics.state(), offline), 2000);
        await this.bounded(client.endAsync(), 2000);
        clean = true;
      }
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'MQTT API did not stop cleanly');
    }
    if (!clean) {
      // Not connected, or the broker stopped answering: drop the link without waiting.
      if (client.disconnecting) client.stream?.destroy();
      else await client.endAsync(true).catch(() => {});
    }
    this.logger.info('MQTT API stopped');
  }

  private waitForFirstConnect(client: MqttClient, where: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let lastError = 'no answer';
      const finish = (error?: Error) => {
        timer.cancel();
        client.off('connect', onConnect);
        client.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onConnect = () => finish();
      const onError = (error: Error & { code?: unknown }) => {
        lastError = error.message;
        if (typeof error.code === 'number' && FATAL_CONNACK_CODES.has(error.code)) {
          finish(
            new TransportError(
              'mqtt_refused',
              `MQTT broker ${where} refused the connection: ${error.message}`,
            ),
          );
        }
      };
      const timer = this.clock.setTimeout(
        'mqtt-connect',
        () =>
          finish(
            new TransportError(
              'mqtt_connect_failed',
              `could not connect to MQTT broker ${where} within ${timeoutMs} ms: ${lastError}`,
            ),
          ),
        timeoutMs,
      );
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** On every (re)connect: the broker may have lost its retained messages, so publish them all again. */
  private onConnect(client: MqttClient): void {
    const since = new Date(this.clock.now()).toISOString();
    this.publish(client, this.topics.state(), { status: 'online', since });
    let states: DeviceState[] = [];
    try {
      states = this.options.deviceStates();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'could not read device states for MQTT');
    }
    for (const state of states) this.publishDeviceState(state);
  }

  private onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const action = this.topics.actionOf(topic);
    if (action === undefined) return;
    const { responseTopic, correlationData } = packet.properties ?? {};
    this.requests.accept({
      action,
      payload,
      ...(typeof responseTopic === 'string' && { responseTopic }),
      ...(Buffer.isBuffer(correlationData) && { correlationData }),
    });
  }

  private publishDeviceState(state: DeviceState): void {
    const client = this.client;
    if (!client?.connected) return;
    this.guarded(() => this.publish(client, this.topics.deviceState(state.device), state));
  }

  private publishDeviceEvent(event: DeviceEvent): void {
    const client = this.client;
    if (!client?.connected) {
      this.logger.debug(
        { device: event.device, type: event.type },
        'MQTT offline: device event not published',
      );
      return;
    }
    this.guarded(() => this.publish(client, this.topics.deviceEvent(event.device, event.type), event));
  }

  private publishResponse(response: OutgoingResponse): void {
    const client = this.client;
    if (!client?.connected) return;
    const properties =
      response.correlationData !== undefined && client.options.protocolVersion === 5
        ? { properties: { correlationData: response.correlationData } }
        : {};
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
    client.publish(response.topic, payload, { qos: 1, retain: false, ...properties }, (error) => {
      if (error) this.logger.warn({ err: describeError(error) }, 'MQTT response not delivered');
    });
  }

  private publish<K extends TopicKind>(client: MqttClient, topic: Topic<K>, payload: TopicPayloads[K]): void {
    client.publish(
      topic.name,
      encodePayload(topic, payload),
      { qos: topic.qos, retain: topic.retain },
      (error) => {
        if (error) this.logger.warn({ topic: topic.name, err: describeError(error) }, 'MQTT publish failed');
      },
    );
  }

  private async publishAsync<K extends TopicKind>(
    client: MqttClient,
    topic: Topic<K>,
    payload: TopicPayloads[K],
  ): Promise<void> {
    await client.publishAsync(topic.name, encodePayload(topic, payload), {
      qos: topic.qos,
      retain: topic.retain,
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

  private bounded<T>(work: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout('mqtt-stop', () => reject(new Error(`no answer in ${ms} ms`)), ms);
      work.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }
}
