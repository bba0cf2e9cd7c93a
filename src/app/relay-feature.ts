import type { Clock } from '../core/clock.js';
import { CarrelError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { IlsClient } from '../devices/ils/index.js';
import type { OfflineIntake, OfflineOrdering } from '../gateway/contracts/offline.js';
import { DeviceSupervisor } from '../gateway/devices/supervisor.js';
import { EventBus } from '../gateway/event-bus.js';
import { type IlsPort, reconnectBackoff } from '../gateway/families/ils/index.js';
import type { DeviceEntry } from '../gateway/family.js';
import type { Feature } from '../gateway/feature.js';
import {
  ilsConfigForAccount,
  type RelayOfflineHandler,
  type RelayTransactionListener,
  type Sip2RelayConfig,
  Sip2RelayServer,
} from '../gateway/relay/index.js';

/**
 * The SIP2 relay as a feature: starts after the devices, so the ILS link's
 * client (and its resolved address) exists. A self-check account mapped to an
 * ILS account of its own gets its own pooled client, kept connected like the
 * ILS link (reconnected when the ILS could not be reached or stopped answering;
 * the relay answers offline meanwhile). Each relayed checkout,
 * checkin, renew and renew all goes to `onTransaction` (the desk statistics),
 * named by the self-check's relay account. A fee payment whose answer was lost
 * and which the ILS cannot be asked about, and a block of a patron's card
 * while the ILS is down, go to `journal` (the offline journal, whatever its
 * policy: the self-check has taken the cash, or kept the card).
 */
export class RelayFeature implements Feature {
  readonly name = 'sip2-relay';
  /** The self-checks are configured to reach the desk here: a relay that cannot listen stops the start. */
  readonly essential = true;
  private server: Sip2RelayServer | undefined;
  private readonly accountLinks: DeviceSupervisor[] = [];

  constructor(
    private readonly config: Sip2RelayConfig,
    private readonly ils: DeviceEntry<IlsPort>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onOffline?: RelayOfflineHandler,
    private readonly onTransaction?: RelayTransactionListener,
    private readonly ordering?: OfflineOrdering,
    private readonly journal?: OfflineIntake,
  ) {}

  /** The port the relay listens on (the real one when the config says 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    const main = this.ils.port.client;
    const byAccount = new Map<string, IlsClient>();
    for (const account of this.config.accounts) {
      if (account.ilsUser === undefined) continue;
      const client = new IlsClient(ilsConfigForAccount(main.config, account), {
        id: `ils-relay-${account.kioskUser}`,
        clock: this.clock,
        logger: this.logger,
      });
      // Tried once before the relay opens; the supervisor keeps trying if that failed.
      await client.connect().catch((error: unknown) => {
        this.logger.warn({ account: account.kioskUser, err: error }, 'relay ILS account not connected yet');
      });
      // Its health is the ILS link's business, not a device of its own: kept off the desk's bus.
      const supervisor = new DeviceSupervisor({
        driver: client.pool,
        eventFamily: 'ils',
        clock: this.clock,
        bus: new EventBus(),
        logger: this.logger,
        backoff: reconnectBackoff(client.config.heartbeatSeconds),
      });
      supervisor.start();
      this.accountLinks.push(supervisor);
      byAccount.set(account.kioskUser, client);
    }
    this.server = new Sip2RelayServer({
      config: this.config,
      ils: main.pool,
      ilsForAccount: (account) => byAccount.get(account.kioskUser)?.pool,
      logger: this.logger,
      clock: this.clock,
      timeZone: main.config.timeZone,
      institution: main.config.institution,
      ...(this.onOffline ? { onOffline: this.onOffline } : {}),
      ...(this.onTransaction ? { onTransaction: this.onTransaction } : {}),
      ...(this.ordering ? { ordering: this.ordering } : {}),
      ...(this.journal ? { journal: this.journal } : {}),
    });
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await Promise.allSettled(this.accountLinks.map((link) => link.stop()));
    this.accountLinks.length = 0;
  }
}

/** The relay needs the ILS link; the config schema already insists on an `ils` section. */
export function relayFeatureFor(
  config: Sip2RelayConfig | undefined,
  ils: DeviceEntry<IlsPort> | undefined,
  clock: Clock,
  logger: Logger,
  onOffline?: RelayOfflineHandler,
  onTransaction?: RelayTransactionListener,
  ordering?: OfflineOrdering,
  journal?: OfflineIntake,
): RelayFeature | undefined {
  if (!config) return undefined;
  if (!ils)
    throw new CarrelError('config_invalid', 'the SIP2 relay needs an ILS device (kind: ils) to relay to');
  return new RelayFeature(config, ils, clock, logger, onOffline, onTransaction, ordering, journal);
}
