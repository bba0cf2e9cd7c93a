import { CarrelError } from '../../../core/errors.js';
import { IlsClient, type IlsConfig } from '../../../devices/ils/index.js';
import { type BackoffPolicy, DEFAULT_BACKOFF } from '../../backoff.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import type { FamilyContext } from '../../family.js';
import type { IlsDeviceConfig } from './config.js';

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

/** What workflows ask of the ILS link: the SIP2 client (pooled, with its config). */
export interface IlsPort {
  /** Throws `unavailable` while the link is not started. */
  readonly client: IlsClient;
}

/**
 * The SIP2 link to the ILS as a supervised component: its health (online,
 * degraded, offline, round-trip time, last error) sits beside the devices in
 * /readyz, /metrics and the MQTT state topics. The client is built on start,
 * when a simulated ILS's address is known.
 */
export class IlsLinkEntry extends SupervisedEntry<IlsPort, IlsDeviceConfig> {
  readonly port: IlsPort;
  private ilsClient: IlsClient | undefined;

  constructor(config: IlsDeviceConfig, context: FamilyContext) {
    super(config, context);
    const entry = this;
    this.port = {
      get client(): IlsClient {
        if (!entry.ilsClient) throw new CarrelError('unavailable', 'the ILS link is not running');
        return entry.ilsClient;
      },
    };
  }

  async start(): Promise<void> {
    const { clock, bus, logger } = this.context;
    const link = ilsLinkConfig(this.config, this.context);
    this.ilsClient = new IlsClient(link, { id: this.id, clock, logger });
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

/** The driver's config: the device's settings with the address its transport resolves to. */
function ilsLinkConfig(config: IlsDeviceConfig, context: FamilyContext): IlsConfig {
  const { id: _id, kind: _kind, name: _name, transport, ...link } = config;
  switch (transport.type) {
    case 'simulator':
      return { ...link, ...context.simulators(transport.simulator) };
    case 'tcp':
      return { ...link, host: transport.host, port: transport.port };
    case 'tls': {
      const { type: _type, host, port, ...tls } = transport;
      return { ...link, host, port, tls };
    }
  }
}
