/**
 * Offline mode as a feature: the offline journal on the storage database, and
 * its replay into the ILS when the ILS link comes back online (and, while
 * anything is waiting, on a timer, in case the link came back unnoticed).
 * Replay outcomes go onto the bus as 'device.event's of the ILS device,
 * without patron ids. Starts after the devices, so the ILS link's client exists.
 * Settled transactions (done, discarded) are purged after the policy's
 * `settledRetentionDays`, at start and daily; waiting and conflict
 * transactions never are.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { CarrelError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OFFLINE_SCREEN_MESSAGE } from '../gateway/circulation/service.js';
import type { OfflineIntake, OfflineOrdering, OfflineService } from '../gateway/contracts/offline.js';
import type { EventBus } from '../gateway/event-bus.js';
import type { IlsEvents, IlsPort } from '../gateway/families/ils/index.js';
import { type DeviceEntry, emitEvent } from '../gateway/family.js';
import type { Feature } from '../gateway/feature.js';
import {
  type OfflineCounts,
  type OfflineEvent,
  OfflineJournal,
  type OfflineOrderingKeys,
  type OfflinePolicy,
  OfflineReplayer,
  type OfflineReplayReport,
  type OfflineResolution,
  type OfflineSettleOutcome,
  type OfflineState,
  type OfflineTransaction,
  type OfflineTransactionInput,
} from '../gateway/offline/index.js';
import {
  offlineAcceptance,
  offlineTransactionTime,
  type RelayOfflineHandler,
  type RelayOfflinePolicy,
} from '../gateway/relay/index.js';
import { Retention } from '../gateway/retention.js';
import type { Database } from '../gateway/storage/index.js';

/** How often a replay is tried while transactions are waiting. */
export const OFFLINE_REPLAY_INTERVAL_MS = 30_000;

export interface OfflineFeatureOptions {
  policy: OfflinePolicy;
  /** The storage database; throws when storage is not open. */
  db: () => Database;
  /** The desk's ILS link, which transactions are replayed into; none: nothing is replayed. */
  ils: DeviceEntry<IlsPort> | undefined;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  replayIntervalMs?: number;
}

export class OfflineFeature implements Feature, OfflineService, OfflineIntake, OfflineOrdering {
  readonly name = 'offline';
  /**
   * What was taken while the ILS was away (checkouts, fee payments already paid) and the order
   * online requests keep behind it: a desk that cannot open its journal (a database from a newer
   * Carrel, after a downgrade) would serve checkouts that overtake it. It does not start.
   */
  readonly essential = true;
  private offlineJournal: OfflineJournal | undefined;
  private replayer: OfflineReplayer | undefined;
  private timer: TimerHandle | undefined;
  private retention: Retention | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: OfflineFeatureOptions) {
    this.logger = options.logger.child({ module: 'offline' });
  }

  /** The journal; throws 'unavailable' when the feature is not running. */
  get journal(): OfflineJournal {
    if (!this.offlineJournal) throw new CarrelError('unavailable', 'offline mode is not running');
    return this.offlineJournal;
  }

  async start(): Promise<void> {
    const { policy, bus, clock, ils } = this.options;
    // The journal and the replayer name their own module: given this feature's logger, each line
    // would name two (a key twice, which log shippers refuse).
    this.offlineJournal = new OfflineJournal(this.options.db(), {
      policy,
      clock,
      logger: this.options.logger,
      onChange: () => bus.emit('offline.changed', undefined),
    });
    const journal = this.offlineJournal;
    this.retention = new Retention({
      name: 'offline-purge',
      forget: (before) => journal.purgeSettled(before),
      retentionDays: policy.settledRetentionDays,
      clock,
      logger: this.logger,
    });
    this.retention.start();
    if (ils) {
      this.replayer = new OfflineReplayer({
        journal: this.offlineJournal,
        ils: {
          itemInformation: (item) => ils.port.client.itemInformation(item),
          patronInformation: (patron, options) => ils.port.client.patronInformation(patron, options),
          checkout: (patron, item, options) => ils.port.client.checkout(patron, item, options),
          checkin: (item, options) => ils.port.client.checkin(item, options),
          feePaid: (patron, options) => ils.port.client.feePaid(patron, options),
          blockPatron: (patron, options) => ils.port.client.blockPatron(patron, options),
        },
        onEvent: (event) => this.publish(event),
        logger: this.options.logger,
      });
      bus.on('device.state', this, (state) => {
        if (state.device === ils.id && state.status === 'online') void this.replay();
      });
      if (ils.state().status === 'online') void this.replay();
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.options.bus.removeAllListenersOf(this);
    this.timer?.cancel();
    this.timer = undefined;
    this.retention?.stop();
    this.retention = undefined;
    // A run under way is not waited for: it ends at its next ILS error when the link stops, and a
    // transaction it leaves 'replaying' is looked up in the ILS before it is sent again.
    this.replayer = undefined;
    this.offlineJournal = undefined;
  }

  /** Journals a transaction (OfflineIntake); throws an OfflineError when the policy refuses. */
  accept(transaction: OfflineTransactionInput): { id: string; sequence: number } {
    const accepted = this.journal.accept(transaction);
    this.schedule();
    return accepted;
  }

  /** Replays what is waiting; undefined when there is nothing to replay into. Never rejects. */
  async replay(): Promise<OfflineReplayReport | undefined> {
    const replayer = this.replayer;
    if (!replayer || !this.offlineJournal) return undefined;
    try {
      return await replayer.run();
    } finally {
      if (this.offlineJournal) this.schedule();
    }
  }

  /** Nothing journaled waits for replay, or offline mode has nothing to replay into (settle: `clear` at once). */
  isClear(): boolean {
    const journal = this.offlineJournal;
    if (!this.replayer || !journal) return true;
    try {
      return journal.waitingCount() === 0;
    } catch {
      return false; // settle looks again, and logs why
    }
  }

  /**
   * Waits until nothing journaled about `keys` (a request's items and patron)
   * is waiting for replay, replaying it first when it is: an online request
   * never overtakes the offline backlog of its item or patron. `unreachable`
   * when the ILS stopped answering first. At once when offline mode is not
   * running or has no ILS to replay into.
   */
  async settle(keys: OfflineOrderingKeys): Promise<OfflineSettleOutcome> {
    const replayer = this.replayer;
    const journal = this.offlineJournal;
    if (!replayer || !journal) return 'clear';
    let outcome: OfflineSettleOutcome;
    try {
      // Nearly always nothing waits at all: answered at once (a replay timer still running stops at its next tick).
      if (journal.waitingCount() === 0) return 'clear';
      outcome = await replayer.settle(keys);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'offline backlog could not be checked');
      return 'clear';
    }
    if (this.offlineJournal) this.schedule();
    return outcome;
  }

  transactions(filter: { state?: OfflineState } = {}): OfflineTransaction[] {
    const all = this.journal.all();
    return filter.state === undefined ? all : all.filter((tx) => tx.state === filter.state);
  }

  counts(): OfflineCounts {
    return this.journal.counts();
  }

  /**
   * Staff settle a conflict. Before a checkout or checkin is sent again the ILS is asked where its
   * item is now (resend-check.ts): one checked out or in there since is refused in words, as the
   * journal refuses one a later journaled transaction overtook (asked first: no ILS round trip).
   */
  async resolve(id: string, action: OfflineResolution): Promise<OfflineTransaction> {
    const tx = action === 'retry' ? this.journal.get(id) : undefined;
    if (tx?.state === 'conflict' && this.replayer) {
      this.journal.refuseOutOfOrder(id);
      const refusal = await this.replayer.resendRefusal(tx);
      if (refusal) {
        this.logger.info(
          { id, code: refusal.code },
          'offline conflict not sent again: the ILS was asked about its item',
        );
        throw refusal;
      }
    }
    this.journal.resolve(id, action);
    this.schedule();
    if (action === 'retry') void this.replay();
    return this.journal.get(id) as OfflineTransaction;
  }

  /**
   * The SIP2 relay's answer to a checkout or checkin while the ILS is down:
   * journaled per the policy and answered ok (12/10 with ok 1) with the
   * offline screen message; refused (`offline_not_allowed`) for anything else
   * or when the relay's 98 does not offer it, and with the journal's own code
   * when its policy refuses it (`offline_limit_reached`…).
   */
  relayHandler(relayPolicy: RelayOfflinePolicy): RelayOfflineHandler {
    const notAllowed = { refused: 'offline_not_allowed' } as const;
    return (request, account, timeZone) => {
      const allowed =
        (request.type === 'checkout' && relayPolicy.checkoutOk) ||
        (request.type === 'checkin' && relayPolicy.checkinOk);
      if (!allowed) return notAllowed;
      const fields = request as { patronIdentifier?: unknown; itemIdentifier?: unknown };
      const item = typeof fields.itemIdentifier === 'string' ? fields.itemIdentifier : '';
      const patron = typeof fields.patronIdentifier === 'string' ? fields.patronIdentifier : undefined;
      try {
        this.accept({
          kind: request.type === 'checkout' ? 'checkout' : 'checkin',
          ...(request.type === 'checkout' && patron ? { patron } : {}),
          item,
          terminal: account.kioskUser,
          at: offlineTransactionTime(request, this.options.clock.now(), timeZone),
        });
      } catch (error) {
        if (!(error instanceof CarrelError)) throw error;
        this.logger.info({ code: error.code, type: request.type }, 'relay transaction not taken offline');
        return { refused: error.code };
      }
      const context = {
        policy: { ...relayPolicy, screenMessage: OFFLINE_SCREEN_MESSAGE },
        now: new Date(this.options.clock.now()),
        timeZone,
        institutionId: '',
      };
      const answer = offlineAcceptance(request, context);
      return answer ? { answer } : notAllowed;
    };
  }

  /** A timer while anything waits for replay; none when nothing does. */
  private schedule(): void {
    const waiting = (this.offlineJournal?.waitingCount() ?? 0) > 0;
    if (waiting && this.replayer && !this.timer) {
      this.timer = this.options.clock.setInterval(
        'offline-replay',
        () => void this.replay(),
        this.options.replayIntervalMs ?? OFFLINE_REPLAY_INTERVAL_MS,
      );
    } else if (!waiting && this.timer) {
      this.timer.cancel();
      this.timer = undefined;
    }
  }

  /** Replay outcomes are events of the ILS device (`offline.replayed`, `offline.conflict`). */
  private publish(event: OfflineEvent): void {
    const ils = this.options.ils;
    if (!ils) return;
    try {
      emitEvent<IlsEvents, OfflineEvent['type']>(
        this.options.bus,
        this.options.clock,
        ils.id,
        event.type,
        event.data,
      );
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'offline event not published');
    }
  }
}
