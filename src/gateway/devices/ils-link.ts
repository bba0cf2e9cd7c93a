import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import { IlsClient } from '../../devices/ils/index.js';
import type { SimulatorResolver } from '../../devices/transport/factory.js';
import { type BackoffPolicy, DEFAULT_BACKOFF } from '../backoff.js';
import type { CarrelConfig } from '../config/schema.js';
import type { EventBus } from '../event-bus.js';
import type { DeviceEntry } from './registry.js';
import { DeviceSupervisor, notStartedState } from './supervisor.js';

/**
 * Reconnects to an ILS that is not answering are never further apart than one
 * heartbeat interval (jitter included), so a recovered ILS shows online within
 * one interval however long it was away.
 */
export function reconnectBackoff(heartbeatSeconds: number): BackoffPolicy {
  if (heartbeatSeconds <= 0) return DEFAULT_BACKOFF;
  const maxMs = Math.min(DEFAULT_BACKOFF.maxMs, (heartbeatSeconds * 1000) / (1 + DEFAULT_BACKOFF.jitter));
  return { ...DEFAULT_BACKOFF, maxMs, initialMs: Math.min(DEFAULT_BACKOFF.initialMs, maxMs) };
}

/** The device id the ILS link has in health records, metrics and MQTT topics. */
export const ILS_DEVICE_ID = 'ils';

export interface IlsLinkDeps {
  config: NonNullable<CarrelConfig['ils']>;
  resolveSimulator: SimulatorResolver;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

/**
 * The SIP2 link to the ILS as a supervised component: its health (online,
 * degraded, offline, round-trip time, last error) sits beside the devices in
 * /readyz, /metrics and the MQTT state topics. The client is built on start,
 * when a simulated ILS's address is known.
 */
export class IlsLinkEntry implements DeviceEntry {
  readonly id = ILS_DEVICE_ID;
  readonly kind = 'ils';
  private supervisor: DeviceSupervisor | undefined;
  private ilsClient: IlsClient | undefined;

  constructor(private readonly deps: IlsLinkDeps) {}

  /** The client the circulation services use; throws when the link is not started. */
  get client(): IlsClient {
    if (!this.ilsClient) throw new CarrelError('unavailable', 'the ILS link is not running');
    return this.ilsClient;
  }

  state(): DeviceState {
    return this.supervisor?.state() ?? notStartedState(this.id, this.kind, this.deps.clock.now());
  }

  async start(): Promise<void> {
    const { config, clock, bus, logger } = this.deps;
    const { simulator, ...link } = config;
    const address = simulator === undefined ? undefined : this.deps.resolveSimulator(simulator);
    const host = address?.host ?? link.host;
    const port = address?.port ?? link.port;
    if (host === undefined || port === undefined)
      throw new CarrelError('config_invalid', 'the ILS has no address');
    this.ilsClient = new IlsClient({ ...link, host, port }, { id: this.id, clock, logger });
    this.supervisor = new DeviceSupervisor({
      driver: this.ilsClient.pool,
      eventFamily: 'ils',
      clock,
      bus,
      logger,
      backoff: reconnectBackoff(link.heartbeatSeconds),
    });
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }
}
