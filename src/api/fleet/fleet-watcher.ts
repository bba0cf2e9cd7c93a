import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { brokerRefusalOf, type MqttSettingNames } from '../mqtt/broker-refusal.js';
import { type BrokerSettings, brokerLogin, redactBrokerUrl } from '../mqtt/connection.js';
import { FLEET_FILTERS, type FleetSnapshot, FleetState } from './fleet-state.js';

/** The fleet view's settings, as given to `carrel fleet`, for the words of a broker refusing it. */
const FLEET_MQTT_SETTINGS: Readonly<MqttSettingNames> = Object.freeze({
  whose: "the fleet view's",
  url: '--broker',
  caFile: '--ca',
  credentials: '--username and --password',
  clientCertificate: '--cert and --key',
  olderProtocol: 'run carrel fleet with --protocol 3.1.1',
});

/** The retained messages a broker hands after a SUBACK come at once; this is ample for them. */
const REFRESH_SETTLE_MS = 300;

/** How soon a broker that went away is dialled again. */
const RECONNECT_MS = 1000;
/** …and one that refuses the fleet view (not every second: both logs would fill with it). */
const REFUSED_RECONNECT_MS = 10_000;

/** The central broker (its keep-alive is the fleet view's own, 30 s). */
export interface FleetWatcherOptions extends Omit<BrokerSettings, 'keepaliveSeconds'> {
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
  /** Connected once: a refusal from now on is logged and dialled again, no longer the command's end. */
  private started = false;
  /** The link was lost after start: its coming back is said. */
  private lost = false;
  /** Why the broker, once connected, now refuses the fleet view, in the desks' words; said once. */
  private refusal: string | undefined;

  constructor(private readonly options: FleetWatcherOptions) {
    this.where = redactBrokerUrl(options.url);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  snapshot(): FleetSnapshot & { broker: { url: string; connected: boolean; refused?: string } } {
    const connected = this.connected;
    return {
      ...this.state.snapshot(this.options.clock.now()),
      broker: {
        url: this.where,
        connected,
        ...(!connected && this.refusal !== undefined && { refused: this.refusal }),
      },
    };
  }

  /**
   * Connects and subscribes; rejects on a refused login or after `timeoutMs` without a broker. With
   * no protocolVersion given it asks for MQTT 5, and a broker that refuses it (a desk's embedded
   * broker speaks 3.1.1 only: a CONNACK 'unacceptable protocol version', or the connection closed on
   * the CONNECT) is dialled again with MQTT 3.1.1, said once — within the same `timeoutMs`.
   */
  async start(timeoutMs = 10_000): Promise<void> {
    const asked = this.options.protocolVersion;
    const deadline = this.options.clock.monotonic() + timeoutMs;
    try {
      await this.connect(asked ?? 5, { timeoutMs, triedMs: timeoutMs }, asked === undefined);
    } catch (error) {
      if (!(error instanceof Mqtt5Refused)) throw error;
      this.options.logger.info(
        { broker: this.where, reason: error.message },
        `${this.where} does not speak MQTT 5 (${error.message}): using MQTT 3.1.1 (give --protocol 3.1.1 to ask for it at once)`,
      );
      // What is left of the start's time (a broker that closes on the CONNECT may do so late).
      const left = Math.max(1, Math.round(deadline - this.options.clock.monotonic()));
      await this.connect(4, { timeoutMs: left, triedMs: timeoutMs }, false);
    }
    this.started = true;
    this.options.logger.info({ broker: this.where }, 'fleet view connected');
  }

  /** One client to the broker speaking `protocolVersion`, until connected or refused for good. */
  private async connect(
    protocolVersion: 4 | 5,
    /** How long this client may try, and how long the start has tried when it gives up (as said). */
    { timeoutMs, triedMs }: { timeoutMs: number; triedMs: number },
    mayFallBack: boolean,
  ): Promise<void> {
    const { options } = this;
    const clientOptions: IClientOptions = {
      clientId: `carrel-fleet-${randomBytes(4).toString('hex')}`,
      protocolVersion,
      clean: true,
      keepalive: 30,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: Math.min(timeoutMs, 30_000),
      resubscribe: false,
      ...(await brokerLogin(options)),
    };
    const mqtt = await import('mqtt');
    const client = mqtt.connect(options.url, clientOptions);
    this.client = client;
    client.on('message', (topic, payload) => {
      const target = this.incoming ?? this.state;
      if (target.apply(topic, payload, options.clock.now()) && target === this.state) options.onChange();
    });
    client.on('connect', () => {
      if (this.lost) options.logger.info({ broker: this.where }, `${this.where} connected again`);
      this.lost = false;
      this.refusal = undefined;
      client.options.reconnectPeriod = RECONNECT_MS;
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
              incoming.keepSeenFrom(this.state);
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
      this.lost = this.started;
      // A refusal was said in its own words; the broker is there, and refuses.
      if (this.refusal === undefined)
        options.logger.warn({ broker: this.where }, 'MQTT broker unreachable; retrying');
      options.onChange();
    });
    client.on('error', (error: Error & { code?: unknown }) => {
      // Once connected, a broker may come back refusing what it took (its certificate changed, the
      // fleet view's password removed): said as the desks say it, once, and dialled less often.
      // (Before that, start() ends the command with it.)
      const refusal = this.started ? brokerRefusalOf(error, options, FLEET_MQTT_SETTINGS) : undefined;
      if (!refusal) {
        options.logger.debug({ err: describeError(error) }, 'MQTT client error');
        // A broker that refused and is now gone (connection refused, no route) is unreachable again.
        if (this.started && this.refusal !== undefined && typeof error.code === 'string') {
          this.refusal = undefined;
          client.options.reconnectPeriod = RECONNECT_MS;
          options.logger.warn(
            { broker: this.where, reason: error.message },
            'MQTT broker unreachable; retrying',
          );
          options.onChange();
        }
        return;
      }
      client.options.reconnectPeriod = REFUSED_RECONNECT_MS;
      const said = `${this.where}: ${refusal.said}`;
      if (said !== this.refusal)
        options.logger.error(
          { broker: this.where, reason: refusal.said },
          `${said} (the fleet view shows the desks as last seen and dials again every ${REFUSED_RECONNECT_MS / 1000} s)`,
        );
      this.refusal = said;
      options.onChange();
    });
    await new Promise<void>((resolve, reject) => {
      // Why the last attempt failed (connection refused, no such host…): said if none succeeds.
      let lastError: string | undefined;
      const timer = options.clock.setTimeout(
        'fleet-connect',
        () =>
          fail(
            lastError === undefined
              ? new TransportError(
                  'mqtt_connect_failed',
                  `no answer from ${this.where} in ${seconds(triedMs)} s`,
                )
              : new TransportError(
                  'mqtt_connect_failed',
                  `cannot reach ${this.where}: ${lastError} (tried for ${seconds(triedMs)} s; is the broker running there, and are the host and port right?)`,
                ),
          ),
        timeoutMs,
      );
      const onConnect = () => {
        cleanup();
        resolve();
      };
      // Whether the CONNECT went out and nothing (no CONNACK, no socket error) came back before the close.
      // The client wrote its first CONNECT as it was made, before this listens for packets: a close
      // of that first connection is a close on the CONNECT too (a socket never connected says so
      // with an error first), so a 3.1.1-only broker is dialled again at once, not a retry later.
      let connectSent = true;
      const onPacketSend = (packet: { cmd?: string }) => {
        if (packet.cmd === 'connect') connectSent = true;
      };
      const onClose = () => {
        if (mayFallBack && connectSent && lastError === undefined)
          fail(new Mqtt5Refused('it closed the connection on the MQTT 5 CONNECT'));
        connectSent = false;
      };
      const onError = (error: Error & { code?: unknown }) => {
        if (
          mayFallBack &&
          typeof error.code === 'number' &&
          unsupportedProtocol(error.code, protocolVersion)
        ) {
          fail(new Mqtt5Refused(error.message));
          return;
        }
        // CONNACK refusals (bad user name or password, not authorized) will not go away by retrying,
        // nor will a TLS handshake either side refuses (a CA that did not sign the broker's
        // certificate, one made out for another name): said in the words the desks use.
        if (
          typeof error.code === 'number' &&
          unsupportedProtocol(error.code, clientOptions.protocolVersion)
        ) {
          fail(
            new TransportError(
              'mqtt_refused',
              `${this.where} refused the connection: ${error.message} — it does not speak MQTT 5 (a desk’s embedded broker speaks 3.1.1): run carrel fleet with --protocol 3.1.1`,
            ),
          );
          return;
        }
        const refusal = brokerRefusalOf(error, options, FLEET_MQTT_SETTINGS);
        if (refusal)
          fail(
            new TransportError(
              refusal.kind === 'login' ? 'mqtt_refused' : 'mqtt_tls_refused',
              `${this.where}: ${refusal.said}`,
            ),
          );
        else if (typeof error.code === 'number')
          fail(new TransportError('mqtt_refused', `${this.where} refused the connection: ${error.message}`));
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
        client.off('packetsend', onPacketSend);
        client.off('close', onClose);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
      client.on('packetsend', onPacketSend);
      client.on('close', onClose);
    }).catch(async (error: unknown) => {
      await client.endAsync(true).catch(() => {});
      this.client = undefined;
      throw error;
    });
  }

  async stop(): Promise<void> {
    this.settle?.cancel();
    await this.client?.endAsync(true).catch(() => {});
    this.client = undefined;
  }
}

/** The broker refused MQTT 5 when no version was asked for: dialled again with 3.1.1. */
class Mqtt5Refused extends Error {}

/**
 * A CONNACK refusing the protocol version asked for: 1 from a broker of MQTT 3.1.1 only (a desk's
 * embedded broker), 0x84 from one of MQTT 5 that does not take it.
 */
function unsupportedProtocol(code: number, asked: IClientOptions['protocolVersion']): boolean {
  return asked === 5 && (code === 1 || code === 0x84);
}

/** Milliseconds as the seconds `carrel fleet --timeout` takes them: 10, 1.5. */
function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
