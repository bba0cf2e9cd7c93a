import { dirname, join } from 'node:path';
import type { SimulatorDesk } from '../../simulators/common/family.js';
import { httpFeature } from '../api/http/server.js';
import { type Clock, systemClock } from '../core/clock.js';
import { CarrelError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { KohaRestAccounts } from '../devices/ils/koha-accounts.js';
import { currencyExponent } from '../gateway/circulation/money.js';
import { IlsCirculation } from '../gateway/circulation/service.js';
import type { DeskServices, Readiness, ReadinessCheck } from '../gateway/contracts/desk.js';
import { DeskTotalsFeature } from '../gateway/desk-totals.js';
import { DeviceRegistry, type DeviceRegistryOptions } from '../gateway/devices/registry.js';
import { EventBus } from '../gateway/event-bus.js';
import { ilsLinks } from '../gateway/families/ils/index.js';
import { printQueues } from '../gateway/families/print-queue/index.js';
import { rfidReaders } from '../gateway/families/rfid-reader/index.js';
import { patronCardOn } from '../gateway/families/rfid-reader/patron-card.js';
import type { AnyDeviceFamily, DeviceEntry, FamilyContext } from '../gateway/family.js';
import { Gateway } from '../gateway/gateway.js';
import { PaymentManager } from '../gateway/payments/manager.js';
import { PrintAccounts } from '../gateway/print-accounts/service.js';
import { offlineAsJournaled } from '../gateway/relay/index.js';
import { REQUEST_SECRET_KEY_FILE, RequestIds } from '../gateway/requests/request-ids.js';
import { SessionManager } from '../gateway/sessions/index.js';
import { DeviceAvailability } from '../gateway/statistics/availability.js';
import { terminalChannels } from '../gateway/statistics/circulation-measures.js';
import { deskMeasures } from '../gateway/statistics/desk-measures.js';
import { STATISTICS_RETENTION_DAYS, statisticsOn } from '../gateway/statistics/index.js';
import { readBackupRecord } from '../gateway/storage/backup.js';
import { secretKeyAt } from '../gateway/storage/secret-key.js';
import type { CarrelConfig, DeviceConfig } from './config.js';
import { DEVICE_FAMILIES, FAMILY_API_MODULES, SIMULATOR_FAMILIES } from './families.js';
import { MqttFeature } from './mqtt-feature.js';
import { OfflineFeature } from './offline-feature.js';
import { relayFeatureFor } from './relay-feature.js';
import { SimulatorsFeature } from './simulators-feature.js';
import { databasePath, databasePathSource, StorageFeature } from './storage-feature.js';

export interface DeskOptions {
  config: CarrelConfig;
  logger: Logger;
  version: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export interface DeskUrls {
  api: string | undefined;
  docs: string | undefined;
  events: string | undefined;
  mqtt: string | undefined;
  sip2Relay: string | undefined;
  simulators: Array<{ id: string; kind: string; url: string; detail: string }>;
}

export interface Desk {
  readonly gateway: Gateway;
  readonly services: DeskServices;
  readonly simulators: SimulatorsFeature;
  start(): Promise<void>;
  stop(): Promise<void>;
  urls(): DeskUrls;
}

/**
 * The composition root: turns a validated configuration into the running desk.
 * Features start in this order — storage, simulators, devices, offline mode,
 * the SIP2 relay, self-check sessions, HTTP, MQTT — and stop in reverse. Nothing else in Carrel constructs features.
 */
export async function createDesk(options: DeskOptions): Promise<Desk> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const bus = new EventBus((error, event) => logger.error({ err: error, event }, 'event listener failed'));

  const database = databasePath(config.storage.path, env);
  const storage = new StorageFeature(database, logger.child({ module: 'storage' }), {
    clock,
    statisticsRetentionDays: config.storage.statisticsRetentionDays,
    pathSource: databasePathSource(config.storage.path, env),
  });
  // A second's counts written move the recent days the desk totals show (they read them again then).
  const statistics = statisticsOn(() => storage.db, {
    clock,
    written: () => bus.emit('statistics.changed', undefined),
  });
  // A simulator that dials its device (a gate notifying Carrel) finds it once the devices listen.
  const simulators = new SimulatorsFeature(config.simulators, SIMULATOR_FAMILIES, logger, {
    listening: (id: string) => devices.listening(id),
    device: configuredDevice(config.devices),
  });
  const devices = await createDevices(
    config.devices,
    {
      bus,
      clock,
      logger,
      database: () => storage.db,
      simulators: (id) => simulators.address(id),
    },
    {
      // A device whose simulator could not listen at start (its port held for a while) starts with it
      // (one still held: the device's start fails saying so, through simulators.address).
      beforeRetry: () => simulators.startMissing(),
    },
  );
  // The desk's ILS (one at most, by the config's rule): circulation, offline mode and the relay use it.
  const ils = devices.all(ilsLinks)[0];
  const offline = new OfflineFeature({
    policy: config.offline,
    db: () => storage.db,
    ils,
    bus,
    clock,
    logger,
  });
  const circulation = new IlsCirculation({
    ils: () => {
      if (!ils) throw new CarrelError('unavailable', 'no ILS is configured');
      return ils.port.client;
    },
    terminal: config.gateway,
    clock,
    onTransaction: (transaction) => statistics.record(transaction),
    // What is already journaled goes to the ILS first, whether or not new offline work is taken.
    ordering: offline,
    // Off by policy: the ILS's own error answers, as before offline mode existed.
    ...(config.offline.enabled ? { offline } : {}),
    // Fee payments are journaled whatever the policy: their money is already taken.
    feePayments: offline,
  });

  const requests = new RequestIds({
    db: () => storage.db,
    // Beside the database, not in it: a copy of the database holds nothing that opens a PIN's hash.
    ...(database === ':memory:'
      ? {}
      : { secretKey: () => secretKeyAt(join(dirname(database), REQUEST_SECRET_KEY_FILE)) }),
    clock,
    logger: logger.child({ module: 'request-ids' }),
  });

  const sessions = new SessionManager({
    circulation,
    devices,
    bus,
    clock,
    logger,
    config: config.sessions,
    site: config.site,
    desk: config.gateway,
  });

  const printAccounts = new PrintAccounts({
    config: config.printAccounts,
    database: () => storage.db,
    queues: () => devices.all(printQueues).map((entry) => entry.port),
    identify: (request) => circulation.identifyPatron(request),
    patronCardOn: (pad) => patronCardOn(pad, devices.port(rfidReaders, pad)),
    clock,
    logger,
    statisticsWritten: () => bus.emit('statistics.changed', undefined),
    // Deposits by transfer of the patron's credit at the ILS, where the library configured its account API.
    ...(config.printAccounts.ilsTransfer
      ? {
          ilsTransfer: {
            accounts: new KohaRestAccounts(config.printAccounts.ilsTransfer, {
              exponent: currencyExponent(config.printAccounts.currency),
              clock,
            }),
          },
        }
      : {}),
  });

  const payments = new PaymentManager({
    circulation,
    devices,
    bus,
    clock,
    logger,
    config: config.payments,
    db: () => storage.db,
    // Fee payments are journaled whatever the offline policy: their money is already taken.
    offline,
    // Top-ups and overpayment go to the patrons' print accounts.
    printAccounts,
    library: config.sessions.receipt.library ?? config.site,
    desk: config.gateway,
  });

  let gateway: Gateway | undefined;
  const services: DeskServices = {
    site: config.site,
    gateway: config.gateway,
    bus,
    devices: () => devices.states(),
    device: (id) => devices.state(id),
    reconnectDevice: (id) => devices.reconnect(id),
    ports: devices,
    circulation,
    requests,
    sessions,
    statistics,
    get measures() {
      return measures;
    },
    offline,
    printAccounts,
    payments,
    features: () => gateway?.features() ?? [],
    // The embedded broker's real port: doctor dials it, not the configured one it may have left.
    readiness: () => readiness(gateway, devices, config.mqtt.mode === 'embedded' ? mqtt.url() : undefined),
    databasePath: database,
    lastBackup: () => readBackupRecord(database),
  };

  // Device availability is sampled once a minute; the measures read it beside the families' journals.
  const availability = new DeviceAvailability({
    database: () => storage.db,
    devices: () => devices.states(),
    clock,
    logger: logger.child({ module: 'availability' }),
    retentionDays: config.storage.statisticsRetentionDays ?? STATISTICS_RETENTION_DAYS,
  });
  const channelOf = terminalChannels({
    tokens: config.auth.tokens,
    relayAccounts: config.sip2Relay?.accounts ?? [],
  });
  const measures = [...deskMeasures(services, channelOf), availability.measures()];

  const http = httpFeature({
    services,
    logger,
    tokens: config.auth.tokens,
    modules: FAMILY_API_MODULES,
    version: options.version,
    host: config.http.host,
    port: config.http.port,
    allowedOrigins: config.http.allowedOrigins,
    clock,
  });
  const totals = new DeskTotalsFeature({ bus, clock, logger, devices, offline, measures: () => measures });
  const mqtt = new MqttFeature(config, services, logger, FAMILY_API_MODULES, () => totals.current(), clock);
  // Its broker and topic API, when this desk runs them, are loaded before anything starts.
  if (config.mqtt.mode !== 'off') await mqtt.load();
  const relayConfig = config.sip2Relay && {
    ...config.sip2Relay,
    offline: offlineAsJournaled(config.sip2Relay.offline, config.offline),
  };
  const relay = relayFeatureFor(
    relayConfig,
    ils,
    clock,
    logger,
    relayConfig && config.offline.enabled ? offline.relayHandler(relayConfig.offline) : undefined,
    (transaction) => statistics.record(transaction),
    offline,
    // A fee payment whose answer was lost, and a block, are journaled whatever the policy: the
    // money is taken, the card kept.
    offline,
  );

  // Counts gathered in memory are written before the database closes (features stop in reverse).
  const statisticsFlush = {
    name: 'statistics',
    start: async () => {},
    stop: async () => {
      try {
        statistics.flush();
      } catch (error) {
        logger.warn({ err: error }, 'statistics could not be written at shutdown');
      }
    },
  };

  gateway = new Gateway({
    bus,
    clock,
    logger,
    features: [
      storage,
      requests,
      statisticsFlush,
      simulators,
      devices,
      offline,
      ...(relay ? [relay] : []),
      sessions,
      printAccounts,
      payments,
      availability,
      totals,
      http,
      mqtt,
    ],
  });
  const built = gateway;

  return {
    gateway: built,
    services,
    simulators,
    start: () => built.start(),
    stop: () => built.stop(),
    urls: () => {
      const api = http.url();
      return {
        api: api && `${api}/api/v1`,
        docs: api && `${api}/docs`,
        events: api && `${api.replace(/^http/, 'ws')}/api/v1/events`,
        mqtt: mqtt.url(),
        sip2Relay: relay?.port === undefined ? undefined : `tcp://${config.sip2Relay?.host}:${relay.port}`,
        simulators: simulators.describe(),
      };
    },
  };
}

function readiness(
  gateway: Gateway | undefined,
  devices: DeviceRegistry,
  embeddedBroker: string | undefined,
): Readiness {
  const checks: ReadinessCheck[] = [];
  const phase = gateway?.state ?? 'idle';
  checks.push({ name: 'gateway', ok: phase === 'ready', detail: phase });
  for (const feature of gateway?.features() ?? []) {
    if (feature.status === 'failed') {
      // What it still lacks now (the simulators not yet running), else why it failed.
      const detail = feature.problem ?? feature.error?.message ?? 'failed';
      checks.push({ name: `feature:${feature.name}`, ok: false, detail });
    } else if (feature.problem !== undefined) {
      checks.push({ name: `feature:${feature.name}`, ok: false, detail: feature.problem });
    }
  }
  for (const device of devices.states()) {
    checks.push({
      name: `device:${device.device}`,
      ok: device.status !== 'offline',
      detail: device.reason ? `${device.status}: ${device.reason}` : device.status,
    });
  }
  return {
    ready: checks.every((check) => check.ok),
    checks,
    ...(embeddedBroker !== undefined && { listening: { mqtt: embeddedBroker } }),
  };
}

/**
 * Every configured device's run-time entry, each made by its own family (the
 * family list, src/app/families.ts): the only place a device's kind chooses code.
 * Only the families configured here have their run-time modules imported.
 */
export async function createDevices(
  configs: readonly DeviceConfig[],
  context: Omit<FamilyContext, 'devices'>,
  options: Pick<DeviceRegistryOptions, 'beforeRetry'> = {},
): Promise<DeviceRegistry> {
  const families = new Map<string, AnyDeviceFamily>(DEVICE_FAMILIES.map((family) => [family.kind, family]));
  let registry: DeviceRegistry | undefined;
  const lookup: FamilyContext['devices'] = {
    port: (family, id) => {
      if (!registry) throw new CarrelError('unavailable', 'the devices are not built yet');
      return registry.port(family, id);
    },
    all: (family) => registry?.all(family) ?? [],
  };
  const entries = await Promise.all(
    configs.map((config): Promise<DeviceEntry> => {
      const family = families.get(config.kind);
      if (!family) throw new CarrelError('config_invalid', `no device family "${config.kind}" in this build`);
      return family.create(config, { ...context, devices: lookup });
    }),
  );
  registry = new DeviceRegistry(entries, DEVICE_FAMILIES, {
    logger: context.logger,
    clock: context.clock,
    ...options,
  });
  return registry;
}

/**
 * A device of the config by its family and id, for a simulator standing in for it: the entry
 * validated by that family's own schema as the config was read, so it is that family's config.
 */
function configuredDevice(devices: readonly DeviceConfig[]): NonNullable<SimulatorDesk['device']> {
  return <Config extends { id: string; kind: string }>(family: { kind: string }, deviceId: string) =>
    devices.find((device) => device.id === deviceId && device.kind === family.kind) as Config | undefined;
}
