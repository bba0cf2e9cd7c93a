import type { Clock } from '../core/clock.js';
import { CarrelError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { IlsClient } from '../devices/ils/index.js';
import type { IlsLinkEntry } from '../gateway/devices/ils-link.js';
import type { Feature } from '../gateway/feature.js';
import type { OfflineOrdering } from '../gateway/offline/index.js';
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
 * ILS account of its own gets its own pooled client. Each relayed checkout,
 * checkin, renew and renew all goes to `onTransaction` (the desk statistics),
 * named by the self-check's relay account.
 */
export class RelayFeature implements Feature {
  readonly name = 'sip2-relay';
  private server: Sip2RelayServer | undefined;
  private readonly accountClients: IlsClient[] = [];

  constructor(
    private readonly config: Sip2RelayConfig,
    private readonly ilsLink: IlsLinkEntry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onOffline?: RelayOfflineHandler,
    private readonly onTransaction?: RelayTransactionListener,
    private readonly ordering?: OfflineOrdering,
  ) {}

  /** The port the relay listens on (the real one when the config says 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    const main = this.ilsLink.client;
    const byAccount = new Map<string, IlsClient>();
    for (const account of this.config.accounts) {
      if (account.ilsUser === undefined) continue;
      const client = new IlsClient(ilsConfigForAccount(main.config, account), {
        id: `ils-relay-${account.kioskUser}`,
        clock: this.clock,
        logger: this.logger,
      });
      // A client that cannot log in yet retries on use; the relay answers offline meanwhile.
      await client.connect().catch((error: unknown) => {
        this.logger.warn({ account: account.kioskUser, err: error }, 'relay ILS account not connected yet');
      });
      this.accountClients.push(client);
      byAccount.set(account.kioskUser, client);
    }
    this.server = new Sip2RelayServer({
      config: this.config,
      ils: main.pool,
      ilsForAccount: (account) => byAccount.get(account.kioskUser)?.pool,
      logger: this.logger.child({ module: 'sip2-relay' }),
      clock: this.clock,
      ...(this.onOffline ? { onOffline: this.onOffline } : {}),
      ...(this.onTransaction ? { onTransaction: this.onTransaction } : {}),
      ...(this.ordering ? { ordering: this.ordering } : {}),
    });
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await Promise.allSettled(this.accountClients.map((client) => client.disconnect()));
    this.accountClients.length = 0;
  }
}

/** The relay needs the ILS link; the config schema already insists on an `ils` section. */
export function relayFeatureFor(
  config: Sip2RelayConfig | undefined,
  ilsLink: IlsLinkEntry | undefined,
  clock: Clock,
  logger: Logger,
  onOffline?: RelayOfflineHandler,
  onTransaction?: RelayTransactionListener,
  ordering?: OfflineOrdering,
): RelayFeature | undefined {
  if (!config) return undefined;
  if (!ilsLink) throw new CarrelError('config_invalid', 'the SIP2 relay needs an ils section to relay to');
  return new RelayFeature(config, ilsLink, clock, logger, onOffline, onTransaction, ordering);
}
