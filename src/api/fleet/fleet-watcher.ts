import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { redactBrokerUrl } from '../mqtt/connection.js';
import { readMqttTlsFiles } from '../mqtt/tls-files.js';
import { FLEET_FILTERS, type FleetSnapshot, FleetState } from './fleet-state.js';

/** The retained messages a broker hands after a SUBACK come at once; this is ample for them. */
const REFRESH_SETTLE_MS = 300;

export interface FleetWatcherOptions {
  /** The central broker: mqtt://, mqtts://, ws://, wss:// */
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  protocolVersion?: 4 | 5;
  logger: Logger;
  clock: Clock;
  /** Called (synchronously) whenever the fleet or the link to the broker changed. */
  onChange: () => void;
}

/**
 * A read-only MQTT client on the central broker that keeps the fleet's state: it subscribes to
 * every desk's retained state, publishes nothing and leaves no retained message. On every
 * (re)connect it builds the fleet anew from the retained messages the broker hands again (a desk
 * removed meanwhile must not linger), and shows it once they have come (SUBACK, then
 * REFRESH_SETTLE_MS) — until then the page keeps the fleet as last known instead of going blank.
 */
export class FleetWatcher {
  readonly where: string;
  private state = new FleetState();
  /** The fleet being rebuilt after a (re)connect, shown once the retained messages have come. */
  private incoming: FleetState | undefined;
  private settle: TimerHandle | undefined;
  private client: MqttClient | undefined;

  constructor(private readonly options: FleetWatcherOptions) {
    this.where = redactBrokerUrl(options.url);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  snapshot(): FleetSnapshot & { broker: { url: string; connected: boolean } } {
    return {
      ...this.state.snapshot(this.options.clock.now()),
      broker: { url: this.where, connected: this.connected },
    };
  }

  /** Connects and subscribes; rejects on a refused login or after `timeoutMs` without a broker. */
  async start(timeoutMs = 10_000): Promise<void> {
    const { options } = this;
    const clientOptions: IClientOptions = {
      clientId: `carrel-fleet-${randomBytes(4).toString('hex')}`,
      protocolVersion: options.protocolVersion ?? 5,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: Math.min(timeoutMs, 30_000),
      resubscribe: false,
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
    };
    Object.assign(clientOptions, await readMqttTlsFiles(options));
    const mqtt = await import('mqtt');
    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;
    client.on('message', (topic, payload) => {
      const target = this.incoming ?? this.state;
      if (target.apply(topic, payload, options.clock.now()) && target === this.state) options.onChange();
    });
    client.on('connect', () => {
      const incoming = new FleetState();
      this.incoming = incoming;
      this.settle?.cancel();
      options.onChange();
      client
        .subscribeAsync(FLEET_FILTERS, { qos: 1 })
        .then((granted) => {
          const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
          if (refused.length > 0)
            options.logger.error({ refused }, 'the broker refused the fleet subscriptions (its ACL)');
          this.settle = options.clock.setTimeout(
            'fleet-refresh',
            () => {
              if (this.incoming !== incoming) return;
              this.state = incoming;
              this.incoming = undefined;
              options.onChange();
            },
            REFRESH_SETTLE_MS,
          );
        })
        .catch((error: unknown) =>
          options.logger.warn({ err: describeError(error) }, 'fleet subscription failed'),
        );
    });
    client.on('offline', () => {
      options.logger.warn({ broker: this.where }, 'MQTT broker unreachable; retrying');
      options.onChange();
    });
    client.on('error', (error) => options.logger.debug({ err: describeError(error) }, 'MQTT client error'));
    await new Promise<void>((resolve, reject) => {
      // Why the last attempt failed (connection refused, no such host…): said if none succeeds.
      let lastError: string | undefined;
      const timer = options.clock.setTimeout(
        'fleet-connect',
        () =>
          fail(
            lastError === undefined
              ? new TransportError('mqtt_connect_failed', `no answer from ${this.where} in ${timeoutMs} ms`)
              : new TransportError(
                  'mqtt_connect_failed',
                  `cannot reach ${this.where}: ${lastError} (tried for ${Math.round(timeoutMs / 1000)} s; is the broker running there, and are the host and port right?)`,
                ),
          ),
        timeoutMs,
      );
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onError = (error: Error & { code?: unknown }) => {
        // CONNACK refusals (bad user name or password, not authorized) will not go away by retrying.
        if (typeof error.code === 'number')
          fail(
            new TransportError(
              'mqtt_refused',
              `${this.where} refused the connection: ${error.message}${
                unsupportedProtocol(error.code, clientOptions.protocolVersion)
                  ? ' — it does not speak MQTT 5 (a desk’s embedded broker speaks 3.1.1): run carrel fleet with --protocol 3.1.1'
                  : ''
              }`,
            ),
          );
        else lastError = error.message;
      };
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        timer.cancel();
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
    }).catch(async (error: unknown) => {
      await client.endAsync(true).catch(() => {});
      throw error;
    });
    options.logger.info({ broker: this.where }, 'fleet view connected');
  }

  async stop(): Promise<void> {
    this.settle?.cancel();
    await this.client?.endAsync(true).catch(() => {});
    this.client = undefined;
  }
}

/**
 * A CONNACK refusing the protocol version asked for: 1 from a broker of MQTT 3.1.1 only (a desk's
 * embedded broker), 0x84 from one of MQTT 5 that does not take it.
 */
function unsupportedProtocol(code: number, asked: IClientOptions['protocolVersion']): boolean {
  return asked === 5 && (code === 1 || code === 0x84);
}
