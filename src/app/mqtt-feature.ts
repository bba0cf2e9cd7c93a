import { deskApiModules, publicEventOf } from '../api/desk-api.js';
import type { Principal } from '../api/http/auth.js';
import { createBrokerAuth, externalMqttPrincipal } from '../api/mqtt/auth.js';
import { mqttBrokerUrlFor, mqttConnectionFor, redactBrokerUrl } from '../api/mqtt/connection.js';
import type { EmbeddedBroker, startEmbeddedBroker } from '../api/mqtt/embedded-broker.js';
import type { MqttApi, MqttApiClientOptions, MqttApiEmbeddedOptions } from '../api/mqtt/mqtt-api.js';
import { CarrelTopics } from '../api/mqtt/topics.js';
import { type ApiModule, mqttActionsOf } from '../api/operations.js';
import type { Clock } from '../core/clock.js';
import { CarrelError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isLoopbackHost } from '../core/net.js';
import type { DeskServices } from '../gateway/contracts/desk.js';
import type { DeskTotals } from '../gateway/desk-totals.js';
import type { Feature } from '../gateway/feature.js';
import type { CarrelConfig } from './config.js';

/**
 * The embedded broker (when configured) and the MQTT topic API, as one feature. The broker (aedes)
 * and the topic API are imported only when the desk runs them: a desk with MQTT off (most test
 * desks) loads neither, one on an external broker no broker. The desk awaits `load()` before it
 * starts anything, so the import does not wait behind the devices' and simulators' start-up.
 */
export class MqttFeature implements Feature {
  readonly name = 'mqtt';
  /**
   * An embedded broker that cannot listen stops the start (its port is the kiosks'); an external
   * broker that refuses the desk's login or its TLS does not: circulation goes on without MQTT, the broker is
   * dialled again every few minutes, and /readyz says why.
   */
  readonly essential: boolean;
  private broker: EmbeddedBroker | undefined;
  private api: MqttApi | undefined;
  private brokerUrl: string | undefined;
  private modules: Promise<MqttModules> | undefined;

  constructor(
    private readonly config: CarrelConfig,
    private readonly services: DeskServices,
    private readonly logger: Logger,
    /** The device families' API modules: their MQTT actions and their events' privacy edge. */
    private readonly familyModules: readonly ApiModule[],
    /** The desk's totals as last worked out, republished retained on every (re)connect. */
    private readonly deskTotals?: () => DeskTotals | undefined,
    /** The desk's clock: the link's timers (a refused login's next attempt) run on it. */
    private readonly clock?: Clock,
  ) {
    this.essential = config.mqtt.mode === 'embedded';
  }

  /** Imports what this desk's MQTT runs on (nothing with MQTT off); `start()` does it if not done. */
  load(): Promise<MqttModules> {
    this.modules ??= loadMqttModules(this.config.mqtt.mode === 'embedded');
    return this.modules;
  }

  /** The broker clients should use, for the start-up banner. */
  url(): string | undefined {
    return this.brokerUrl;
  }

  async start(): Promise<void> {
    const { mqtt } = this.config;
    if (mqtt.mode === 'off') return;
    const { startEmbeddedBroker, MqttApi } = await this.load();
    let link: MqttApiClientOptions | MqttApiEmbeddedOptions;
    let principalOf: (clientId: string) => Principal | undefined;
    if (mqtt.mode === 'embedded') {
      // Without tokens every client may do anything, which is this machine's users' right only.
      if (!isLoopbackHost(mqtt.host) && this.config.auth.tokens.length === 0)
        throw new CarrelError(
          'mqtt_insecure_bind',
          `refusing to serve MQTT on ${mqtt.host} with no tokens configured: add auth.tokens or bind 127.0.0.1`,
        );
      const topics = new CarrelTopics(this.config.site, this.config.gateway);
      const auth = createBrokerAuth({
        tokens: this.config.auth.tokens,
        topics,
        loopbackOnly: isLoopbackHost(mqtt.host),
      });
      if (!startEmbeddedBroker) throw new Error('the embedded broker was not loaded'); // a bug: load() saw another mode
      this.broker = await startEmbeddedBroker({
        host: mqtt.host,
        port: mqtt.port,
        logger: this.logger,
        authenticate: auth.authenticate,
      });
      // In process: no socket and no mqtt.js; network clients still pass auth's rules.
      link = { embedded: this.broker.local };
      principalOf = auth.principalOf;
      this.brokerUrl = mqttBrokerUrlFor(mqtt, this.broker);
    } else {
      const connection = mqttConnectionFor(mqtt);
      if (!connection) return;
      link = connection;
      this.brokerUrl = redactBrokerUrl(connection.url);
      const tokens = this.config.auth.tokens;
      principalOf = (clientId) => externalMqttPrincipal(tokens, clientId);
    }
    const modules = deskApiModules(this.familyModules);
    this.api = new MqttApi({
      site: this.config.site,
      gateway: this.config.gateway,
      ...link,
      bus: this.services.bus,
      logger: this.logger,
      deviceStates: () => this.services.devices(),
      ...(this.deskTotals && { deskTotals: this.deskTotals }),
      actions: mqttActionsOf(modules, this.services),
      principalOf,
      publicEvent: publicEventOf(modules),
      ...(this.clock && { clock: this.clock }),
    });
    try {
      await this.api.start();
    } catch (error) {
      await this.broker?.close();
      this.broker = undefined;
      throw error;
    }
  }

  /** The broker out of reach (or refusing) while the desk runs: /readyz and carrel_feature_up say so. */
  problem(): string | undefined {
    return this.api?.problem();
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    await this.broker?.close();
    this.api = undefined;
    this.broker = undefined;
  }
}

interface MqttModules {
  MqttApi: typeof MqttApi;
  startEmbeddedBroker: typeof startEmbeddedBroker | undefined;
}

async function loadMqttModules(embedded: boolean): Promise<MqttModules> {
  const [{ MqttApi }, broker] = await Promise.all([
    import('../api/mqtt/mqtt-api.js'),
    embedded ? import('../api/mqtt/embedded-broker.js') : undefined,
  ]);
  return { MqttApi, startEmbeddedBroker: broker?.startEmbeddedBroker };
}

/** The desk's MQTT action table for these families' API modules (the same one MqttFeature serves). */
export function deskMqttActions(services: DeskServices, familyModules: readonly ApiModule[]) {
  return mqttActionsOf(deskApiModules(familyModules), services);
}
