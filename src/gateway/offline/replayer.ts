/**
 * Replays the offline journal into the ILS when it is back, in sequence order,
 * one transaction at a time. Each is first marked 'replaying' (durably), then
 * the item is looked up (17) before anything is sent, so a transaction the ILS
 * already has — because a previous run sent it and the process died before it
 * could mark it done — is settled without being sent twice. Checkouts go out
 * with no block and the journaled time as the transaction date, as SIP2
 * intends for store-and-forward. An ILS that stops answering ends the run and
 * leaves the transaction waiting; a refusal becomes a conflict for staff. One the
 * ILS cannot read (96 past the link's limit) is set aside for staff too, and what
 * follows it about its item or patron is held behind it (set-aside.ts). A
 * journaled block of a patron's card (01) is sent as it is, with its journaled time: the ILS may see a
 * block twice, and it answers with the patron's status, not a yes or no.
 */
import { CarrelError, describeError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { IlsError } from '../../devices/ils/errors.js';
import { isCharged, isCheckedIn } from '../../devices/ils/lost-answer.js';
import type {
  BlockPatronOptions,
  CheckinOptions,
  CheckoutOptions,
  FeePaidOptions,
} from '../../devices/ils/requests.js';
import type { Sip2Message } from '../../protocols/sip2/index.js';
import type { OfflineError } from './errors.js';
import { replayFeePayment } from './fee-replay.js';
import type {
  OfflineJournal,
  OfflineKind,
  OfflineOrderingKeys,
  OfflineReplayOutcome,
  OfflineTransaction,
} from './journal.js';
import { refused, type Settlement } from './refusal.js';
import { chargedTo, resendRefusal } from './resend-check.js';
import { heldBehind, UNREADABLE, unreadable } from './set-aside.js';

/** The part of the IlsClient the replayer needs; IlsClient fits it. */
export interface IlsForReplay {
  itemInformation(item: string): Promise<{ message: Sip2Message<'itemInformationResponse'> }>;
  /**
   * Asked when an item is on loan and the 18 does not name the borrower (SIP2
   * 2.00 has no borrower in an 18): is it in this patron's charged items?
   * Without it such an item is a conflict (`item_borrower_unknown`).
   */
  patronInformation?(
    patron: string,
    options: { summary: 'chargedItems' | 'fineItems' },
  ): Promise<{ message: Sip2Message<'patronInformationResponse'> }>;
  /** Fee payments (37); without it (and patronInformation) a journaled payment is a conflict. */
  feePaid?(patron: string, options: FeePaidOptions): Promise<{ message: Sip2Message<'feePaidResponse'> }>;
  /** Blocks of a patron's card (01); without it a journaled block is a conflict. */
  blockPatron?(
    patron: string,
    options: BlockPatronOptions,
  ): Promise<{ message: Sip2Message<'patronStatusResponse'> }>;
  checkout(
    patron: string,
    item: string,
    options: CheckoutOptions,
  ): Promise<{ message: Sip2Message<'checkoutResponse'> }>;
  checkin(item: string, options: CheckinOptions): Promise<{ message: Sip2Message<'checkinResponse'> }>;
}

/** Events carry no patron id. */
export type OfflineEvent =
  | {
      type: 'offline.replayed';
      data: { id: string; sequence: number; kind: OfflineKind; item: string; reason: OfflineReplayOutcome };
    }
  | {
      type: 'offline.conflict';
      data: { id: string; sequence: number; kind: OfflineKind; item: string; reason: string };
    };

export interface OfflineReplayReport {
  /** Transactions the ILS now has (sent, or found already done). */
  replayed: number;
  /** Transactions that became conflicts in this run. */
  conflicts: number;
  /** Why the run stopped early (the ILS went away); the transactions left are still pending. */
  stoppedBy?: { code: string; message: string };
  /** Transactions still waiting for replay. */
  remaining: number;
}

export interface OfflineReplayerOptions {
  journal: OfflineJournal;
  ils: IlsForReplay;
  onEvent?: (event: OfflineEvent) => void;
  logger?: Logger;
}

/**
 * How `settle` ended: `clear` — nothing about the keys waits for replay any
 * more (replayed, or now a conflict for staff); `unreachable` — the ILS stopped
 * answering first, so the request should be taken offline, behind its backlog.
 */
export type OfflineSettleOutcome = 'clear' | 'unreachable';

interface SettleWaiter {
  keys: OfflineOrderingKeys;
  resolve(outcome: OfflineSettleOutcome): void;
}

/** Request errors that will not get better by asking again: the transaction is a conflict. */
const PERMANENT_ERRORS: ReadonlySet<string> = new Set(['ils_bad_request']);

export class OfflineReplayer {
  private readonly journal: OfflineJournal;
  private readonly ils: IlsForReplay;
  private readonly onEvent: (event: OfflineEvent) => void;
  private readonly logger: Logger;
  private running: Promise<OfflineReplayReport> | undefined;
  /** Requests waiting for the backlog of their item or patron, first come first served. */
  private waiters: SettleWaiter[] = [];

  constructor(options: OfflineReplayerOptions) {
    this.journal = options.journal;
    this.ils = options.ils;
    this.onEvent = options.onEvent ?? (() => {});
    this.logger = (options.logger ?? silentLogger()).child({ module: 'offline-replay' });
  }

  /** True while a run is under way. */
  get replaying(): boolean {
    return this.running !== undefined;
  }

  /**
   * Replays every waiting transaction, in sequence order. A call while a run is
   * under way joins that run. Never rejects: an ILS failure ends the run with
   * `stoppedBy` set.
   */
  run(): Promise<OfflineReplayReport> {
    if (!this.running) {
      this.running = this.replayAll().finally(() => {
        this.running = undefined;
        // A request that began to wait as this run was ending gets a run of its own.
        if (this.waiters.length > 0) this.run().catch(() => {});
      });
    }
    return this.running;
  }

  /**
   * Resolves once nothing about `keys` (an item, a patron) waits for replay, so
   * a request about them may go to the ILS without overtaking journaled work.
   * At once when nothing waits (one indexed look-up); otherwise their
   * transactions are replayed first, ahead of the rest of the backlog but in
   * their own sequence order, by the same one-at-a-time run. Never rejects.
   */
  settle(keys: OfflineOrderingKeys): Promise<OfflineSettleOutcome> {
    if (!this.journal.firstWaitingFor(keys)) return Promise.resolve('clear');
    return new Promise((resolve) => {
      this.waiters.push({ keys, resolve });
      this.run().catch(() => {}); // a failing journal releases the waiter (replayAll)
    });
  }

  /** The next transaction to replay: what the oldest waiting request needs, else the head of the journal. */
  private next(): OfflineTransaction | undefined {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      const needed = this.journal.firstWaitingFor(waiter.keys);
      if (needed) return needed;
      this.waiters.shift();
      waiter.resolve('clear');
    }
    return this.journal.nextToReplay();
  }

  /** Lets go of every waiting request whose backlog is replayed (or, `unreachable`, all of them). */
  private release(outcome?: OfflineSettleOutcome): void {
    const still: SettleWaiter[] = [];
    for (const waiter of this.waiters) {
      if (outcome !== undefined) waiter.resolve(outcome);
      else if (this.journal.firstWaitingFor(waiter.keys)) still.push(waiter);
      else waiter.resolve('clear');
    }
    this.waiters = still;
  }

  private async replayAll(): Promise<OfflineReplayReport> {
    try {
      const report = await this.replayInOrder();
      this.release(report.stoppedBy ? 'unreachable' : undefined);
      return report;
    } catch (error) {
      // The journal itself failed (storage closed at shutdown): waiting requests go on as they would.
      this.release('unreachable');
      throw error;
    }
  }

  private async replayInOrder(): Promise<OfflineReplayReport> {
    const report: OfflineReplayReport = { replayed: 0, conflicts: 0, remaining: 0 };
    for (let tx = this.next(); tx; tx = this.next()) {
      if (!this.journal.beginReplay(tx.id)) continue;
      let settlement: Settlement;
      const waitsFor = this.journal.setAsideBefore(tx);
      try {
        settlement = waitsFor ? heldBehind(tx, waitsFor) : await this.replay(tx);
      } catch (error) {
        const { code, message } = describeError(error);
        if (error instanceof CarrelError && PERMANENT_ERRORS.has(code)) {
          settlement = { state: 'conflict', reason: code, message };
        } else if (error instanceof IlsError && code === UNREADABLE) {
          // The ILS is there and will not read it at the next run either: staff, and the rest goes on.
          settlement = unreadable(error);
        } else {
          this.journal.interruptReplay(tx.id, code);
          this.logger.warn({ id: tx.id, code }, 'offline replay stopped: the ILS did not answer');
          report.stoppedBy = { code, message };
          break;
        }
      }
      const data = { id: tx.id, sequence: tx.sequence, kind: tx.kind, item: tx.item };
      if (settlement.state === 'done') {
        this.journal.markDone(tx.id, settlement.outcome);
        report.replayed++;
        this.logger.info({ ...data, outcome: settlement.outcome }, 'offline transaction replayed');
        this.emit({ type: 'offline.replayed', data: { ...data, reason: settlement.outcome } });
      } else {
        this.journal.markConflict(tx.id, settlement.reason, settlement.message);
        report.conflicts++;
        this.logger.warn({ ...data, reason: settlement.reason }, 'offline transaction in conflict');
        this.emit({ type: 'offline.conflict', data: { ...data, reason: settlement.reason } });
      }
      this.release();
    }
    const counts = this.journal.counts();
    report.remaining = counts.pending + counts.replaying;
    return report;
  }

  private replay(tx: OfflineTransaction): Promise<Settlement> {
    if (tx.kind === 'feePaid') return replayFeePayment(tx, this.ils, this.journal);
    if (tx.kind === 'blockPatron') return this.replayBlock(tx);
    return tx.kind === 'checkout' ? this.replayCheckout(tx) : this.replayCheckin(tx);
  }

  private async replayCheckout(tx: OfflineTransaction): Promise<Settlement> {
    const patron = tx.patron;
    if (patron === undefined) return { state: 'conflict', reason: 'patron_missing' };
    const found = (await this.ils.itemInformation(tx.item)).message;
    if (isCharged(found)) {
      const holder = await chargedTo(this.ils, found, patron, tx.item);
      if (holder === 'patron') return { state: 'done', outcome: 'already_done' };
      if (holder === 'unknown') return { state: 'conflict', reason: 'item_borrower_unknown' };
      return { state: 'conflict', reason: 'item_checked_out_to_another' };
    }
    const at = new Date(tx.at);
    const answer = (await this.ils.checkout(patron, tx.item, { noBlock: true, transactionDate: at })).message;
    if (answer.ok) return { state: 'done', outcome: 'sent' };
    return refused(answer.screenMessage);
  }

  /**
   * A block: sent as journaled, dated when the self-check kept the card (the ILS's 24 is its
   * patron's status, no yes or no to read).
   */
  private async replayBlock(tx: OfflineTransaction): Promise<Settlement> {
    const { patron, block } = tx;
    if (patron === undefined || block === undefined) return { state: 'conflict', reason: 'patron_missing' };
    if (!this.ils.blockPatron) return { state: 'conflict', reason: 'block_replay_unsupported' };
    await this.ils.blockPatron(patron, {
      cardRetained: block.cardRetained,
      message: block.message,
      transactionDate: new Date(tx.at),
    });
    return { state: 'done', outcome: 'sent' };
  }

  private async replayCheckin(tx: OfflineTransaction): Promise<Settlement> {
    const found = (await this.ils.itemInformation(tx.item)).message;
    if (isCheckedIn(found)) return { state: 'done', outcome: 'already_done' };
    const at = new Date(tx.at);
    const answer = (await this.ils.checkin(tx.item, { noBlock: true, transactionDate: at, returnDate: at }))
      .message;
    if (answer.ok) return { state: 'done', outcome: 'sent' };
    return refused(answer.screenMessage);
  }

  /** Why the ILS's state of a conflict's item bars sending it again (resend-check.ts); undefined when it may go. */
  resendRefusal(tx: OfflineTransaction): Promise<OfflineError | undefined> {
    return resendRefusal(tx, this.ils);
  }

  private emit(event: OfflineEvent): void {
    try {
      this.onEvent(event);
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'offline event listener failed');
    }
  }
}
