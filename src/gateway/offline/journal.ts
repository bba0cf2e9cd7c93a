/**
 * The offline journal: circulation transactions taken while the ILS cannot be
 * reached, in one SQLite table. `accept` commits (WAL, synchronous=FULL) before
 * it returns, so an acknowledged transaction survives a crash or power loss; the
 * sequence (AUTOINCREMENT, never reused) is the order they are replayed in.
 *
 * Patron ids are stored, since a checkout cannot be replayed without one, but
 * they are never logged and never put in events; only staff reading the
 * journal through the API see them.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../../core/clock.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type Database, migrate, type Statement } from '../storage/index.js';
import { OfflineError } from './errors.js';
import type { OfflinePolicy } from './policy.js';
import { replayedSince, SET_ASIDE_REASONS } from './set-aside.js';
import {
  type OfflineReplayOutcome,
  type OfflineRow,
  type OfflineState,
  type OfflineTransaction,
  type OfflineTransactionInput,
  offlineTransactionSchema,
  toTransaction,
} from './transaction.js';

export {
  type OfflineBlock,
  type OfflineFee,
  type OfflineKind,
  type OfflineReplayOutcome,
  type OfflineState,
  type OfflineTransaction,
  type OfflineTransactionInput,
  offlineBlockSchema,
  offlineFeeSchema,
  offlineTransactionSchema,
} from './transaction.js';

const MIGRATIONS = [
  `CREATE TABLE offline_transactions (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('checkout', 'checkin')),
    patron TEXT,
    item TEXT NOT NULL,
    terminal TEXT NOT NULL,
    at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'replaying', 'done', 'conflict', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    message TEXT,
    last_error TEXT,
    accepted_at INTEGER NOT NULL,
    settled_at INTEGER
  );
  CREATE INDEX offline_transactions_by_state ON offline_transactions (state, sequence);
  CREATE INDEX offline_transactions_by_patron ON offline_transactions (patron, kind, state);`,
  // Online requests wait for the backlog of their item: found by item, not by scanning.
  'CREATE INDEX offline_transactions_by_item ON offline_transactions (item, state, sequence);',
  // Fee payments (SIP2 37) join checkouts and checkins: SQLite cannot widen a CHECK, so the table
  // is rebuilt, its rows and its AUTOINCREMENT high-water mark kept (purged numbers are never reused).
  `CREATE TABLE offline_transactions_v3 (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('checkout', 'checkin', 'feePaid')),
    patron TEXT,
    item TEXT NOT NULL,
    terminal TEXT NOT NULL,
    at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'replaying', 'done', 'conflict', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    message TEXT,
    last_error TEXT,
    accepted_at INTEGER NOT NULL,
    settled_at INTEGER,
    fee_id TEXT,
    fee_type TEXT,
    amount_minor INTEGER,
    currency TEXT,
    transaction_id TEXT,
    owed_before_minor INTEGER,
    CHECK (kind != 'feePaid' OR (patron IS NOT NULL AND amount_minor > 0 AND transaction_id IS NOT NULL))
  );
  INSERT INTO offline_transactions_v3
    (sequence, id, kind, patron, item, terminal, at, state, attempts, reason, message, last_error,
     accepted_at, settled_at)
    SELECT sequence, id, kind, patron, item, terminal, at, state, attempts, reason, message, last_error,
     accepted_at, settled_at FROM offline_transactions;
  DELETE FROM sqlite_sequence WHERE name = 'offline_transactions_v3';
  INSERT INTO sqlite_sequence (name, seq)
    SELECT 'offline_transactions_v3', seq FROM sqlite_sequence WHERE name = 'offline_transactions';
  DROP TABLE offline_transactions;
  ALTER TABLE offline_transactions_v3 RENAME TO offline_transactions;
  CREATE INDEX offline_transactions_by_state ON offline_transactions (state, sequence);
  CREATE INDEX offline_transactions_by_patron ON offline_transactions (patron, kind, state);
  CREATE INDEX offline_transactions_by_item ON offline_transactions (item, state, sequence);`,
  // A self-check's block of a patron's card (SIP2 01) joins them: rebuilt again to widen the CHECK.
  `CREATE TABLE offline_transactions_v4 (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('checkout', 'checkin', 'feePaid', 'blockPatron')),
    patron TEXT,
    item TEXT NOT NULL,
    terminal TEXT NOT NULL,
    at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'replaying', 'done', 'conflict', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    message TEXT,
    last_error TEXT,
    accepted_at INTEGER NOT NULL,
    settled_at INTEGER,
    fee_id TEXT,
    fee_type TEXT,
    amount_minor INTEGER,
    currency TEXT,
    transaction_id TEXT,
    owed_before_minor INTEGER,
    card_retained INTEGER,
    block_message TEXT,
    CHECK (kind != 'feePaid' OR (patron IS NOT NULL AND amount_minor > 0 AND transaction_id IS NOT NULL)),
    CHECK (kind != 'blockPatron' OR (patron IS NOT NULL AND card_retained IN (0, 1) AND block_message IS NOT NULL))
  );
  INSERT INTO offline_transactions_v4
    (sequence, id, kind, patron, item, terminal, at, state, attempts, reason, message, last_error,
     accepted_at, settled_at, fee_id, fee_type, amount_minor, currency, transaction_id, owed_before_minor)
    SELECT sequence, id, kind, patron, item, terminal, at, state, attempts, reason, message, last_error,
     accepted_at, settled_at, fee_id, fee_type, amount_minor, currency, transaction_id, owed_before_minor
    FROM offline_transactions;
  DELETE FROM sqlite_sequence WHERE name = 'offline_transactions_v4';
  INSERT INTO sqlite_sequence (name, seq)
    SELECT 'offline_transactions_v4', seq FROM sqlite_sequence WHERE name = 'offline_transactions';
  DROP TABLE offline_transactions;
  ALTER TABLE offline_transactions_v4 RENAME TO offline_transactions;
  CREATE INDEX offline_transactions_by_state ON offline_transactions (state, sequence);
  CREATE INDEX offline_transactions_by_patron ON offline_transactions (patron, kind, state);
  CREATE INDEX offline_transactions_by_item ON offline_transactions (item, state, sequence);`,
  // A fee payment's payment type (BT) as the self-check sent it, so a card payment is not replayed as
  // cash. Payments journaled before this step have none and replay as cash (fee-replay.ts says why).
  'ALTER TABLE offline_transactions ADD COLUMN payment_type TEXT CHECK (payment_type IS NULL OR length(payment_type) = 2);',
];

export interface OfflineCounts {
  pending: number;
  replaying: number;
  conflict: number;
  done: number;
  discarded: number;
  /** pending + replaying + conflict: what counts against maxTransactionsTotal. */
  outstanding: number;
}

export type OfflineResolution = 'retry' | 'discard';

/**
 * What a circulation request is about: its items and its patron. A request
 * must not reach the ILS before journaled work on any of them has.
 */
export interface OfflineOrderingKeys {
  items: readonly string[];
  patron?: string | undefined;
}

export interface OfflineJournalOptions {
  /** The policy, or a function giving the current one (config reloads). */
  policy: OfflinePolicy | (() => OfflinePolicy);
  clock?: Clock;
  logger?: Logger;
  /** Called after the journal wrote, once per turn of the event loop (its transaction is over by then). */
  onChange?: () => void;
}

const OUTSTANDING = "('pending', 'replaying', 'conflict')";
/** The states a transaction never leaves: the ILS has it, or staff dropped it. Only these are ever purged. */
const SETTLED = "('done', 'discarded')";
/** Conflicts that what comes after them about their item or patron waits for (set-aside.ts). */
const SET_ASIDE = `(${SET_ASIDE_REASONS.map((reason) => `'${reason}'`).join(', ')})`;

export class OfflineJournal {
  private readonly policy: () => OfflinePolicy;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly statements;
  /**
   * How many transactions wait for replay (pending or replaying), as last
   * counted: every online request asks (firstWaitingFor) and the journal is
   * nearly always empty, so the count is kept until the journal writes again.
   * The daemon is the journal's only writer — the CLI and the pages go through
   * its API, `carrel doctor` opens the file read-only — so no other connection
   * can change it meanwhile. Never kept from inside a transaction, which may
   * roll back. (Asking SQLite's data_version instead cost a read transaction,
   * two fcntl locks, per request: ~35 µs of CPU on the gateway's main thread.)
   */
  private waitingCache: number | undefined;

  constructor(
    private readonly db: Database,
    options: OfflineJournalOptions,
  ) {
    const policy = options.policy;
    this.policy = typeof policy === 'function' ? policy : () => policy;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ module: 'offline-journal' });
    migrate(db, 'offline-journal', MIGRATIONS);
    const onChange = options.onChange;
    let changeSaid = false;
    const changed = () => {
      if (!onChange || changeSaid) return;
      changeSaid = true;
      // Writes run synchronously in their transaction: a microtask runs once it committed or rolled back.
      queueMicrotask(() => {
        changeSaid = false;
        onChange();
      });
    };
    const writes = (statement: Statement): Statement => ({
      run: (...parameters) => {
        this.waitingCache = undefined;
        changed();
        return statement.run(...parameters);
      },
      get: (...parameters) => statement.get(...parameters),
      all: (...parameters) => statement.all(...parameters),
    });
    this.statements = {
      insert: writes(
        db.prepare(
          `INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, accepted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ),
      ),
      insertFee: writes(
        db.prepare(
          `INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, accepted_at,
           fee_id, fee_type, amount_minor, currency, transaction_id, owed_before_minor, payment_type)
         VALUES (?, 'feePaid', ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
      ),
      insertBlock: writes(
        db.prepare(
          `INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, accepted_at,
           card_retained, block_message)
         VALUES (?, 'blockPatron', ?, '', ?, ?, ?, ?, ?)`,
        ),
      ),
      owedBefore: writes(
        db.prepare(
          'UPDATE offline_transactions SET owed_before_minor = ? WHERE id = ? AND owed_before_minor IS NULL',
        ),
      ),
      byId: db.prepare('SELECT * FROM offline_transactions WHERE id = ?'),
      outstanding: db.prepare(`SELECT COUNT(*) AS n FROM offline_transactions WHERE state IN ${OUTSTANDING}`),
      patronCheckouts: db.prepare(
        `SELECT COUNT(*) AS n FROM offline_transactions
         WHERE patron = ? AND kind = 'checkout' AND state IN ${OUTSTANDING}`,
      ),
      pending: db.prepare(
        "SELECT * FROM offline_transactions WHERE state IN ('pending', 'replaying') ORDER BY sequence",
      ),
      next: db.prepare(
        "SELECT * FROM offline_transactions WHERE state IN ('pending', 'replaying') ORDER BY sequence LIMIT 1",
      ),
      waitingForItem: db.prepare(
        `SELECT * FROM offline_transactions
         WHERE item = ? AND state IN ('pending', 'replaying') ORDER BY sequence LIMIT 1`,
      ),
      waitingForPatron: db.prepare(
        `SELECT * FROM offline_transactions
         WHERE patron = ? AND state IN ('pending', 'replaying') ORDER BY sequence LIMIT 1`,
      ),
      conflicts: db.prepare("SELECT * FROM offline_transactions WHERE state = 'conflict' ORDER BY sequence"),
      setAsideForItem: db.prepare(
        `SELECT * FROM offline_transactions WHERE item = ? AND state = 'conflict' AND reason IN ${SET_ASIDE}
         AND sequence < ? ORDER BY sequence LIMIT 1`,
      ),
      setAsideForPatron: db.prepare(
        `SELECT * FROM offline_transactions WHERE patron = ? AND state = 'conflict' AND reason IN ${SET_ASIDE}
         AND sequence < ? ORDER BY sequence LIMIT 1`,
      ),
      replayedAfterForItem: db.prepare(
        `SELECT * FROM offline_transactions WHERE item = ? AND state = 'done' AND sequence > ?
         ORDER BY sequence LIMIT 1`,
      ),
      all: db.prepare('SELECT * FROM offline_transactions ORDER BY sequence'),
      counts: db.prepare('SELECT state, COUNT(*) AS n FROM offline_transactions GROUP BY state'),
      waiting: db.prepare(
        "SELECT COUNT(*) AS n FROM offline_transactions WHERE state IN ('pending', 'replaying')",
      ),
      beginReplay: writes(
        db.prepare(
          `UPDATE offline_transactions SET state = 'replaying', attempts = attempts + 1
         WHERE id = ? AND state IN ('pending', 'replaying')`,
        ),
      ),
      settle: writes(
        db.prepare(
          `UPDATE offline_transactions SET state = ?, reason = ?, message = ?, settled_at = ?
         WHERE id = ? AND state = 'replaying'`,
        ),
      ),
      interrupt: writes(
        db.prepare(
          "UPDATE offline_transactions SET state = 'pending', last_error = ? WHERE id = ? AND state = 'replaying'",
        ),
      ),
      retry: writes(
        db.prepare(
          `UPDATE offline_transactions SET state = 'pending', reason = NULL, message = NULL, settled_at = NULL
         WHERE id = ? AND state = 'conflict'`,
        ),
      ),
      discard: writes(
        db.prepare(
          "UPDATE offline_transactions SET state = 'discarded', settled_at = ? WHERE id = ? AND state = 'conflict'",
        ),
      ),
      purgeSettled: writes(
        db.prepare(
          `DELETE FROM offline_transactions
         WHERE state IN ${SETTLED} AND settled_at IS NOT NULL AND settled_at < ?`,
        ),
      ),
    };
  }

  /**
   * Journals a transaction taken while the ILS is unreachable. When this returns
   * the transaction is committed to disk: that is the acknowledgement. Throws an
   * OfflineError (offline_not_allowed, offline_limit_reached,
   * offline_invalid_transaction) when the policy refuses it.
   */
  accept(input: OfflineTransactionInput): { id: string; sequence: number } {
    const parsed = offlineTransactionSchema.safeParse(input);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(transaction)').join(', ');
      throw new OfflineError('offline_invalid_transaction', `invalid offline transaction: ${where}`);
    }
    const tx = parsed.data;
    if (tx.kind === 'feePaid') return this.acceptFeePayment(tx);
    if (tx.kind === 'blockPatron') return this.acceptBlock(tx);
    if (tx.kind === 'checkout' && tx.patron === undefined)
      throw new OfflineError('offline_invalid_transaction', 'an offline checkout needs a patron');
    const policy = this.policy();
    if (!policy.enabled) throw new OfflineError('offline_not_allowed', 'offline circulation is turned off');
    if (tx.kind === 'checkout' && !policy.checkouts)
      throw new OfflineError('offline_not_allowed', 'offline checkouts are not allowed');
    if (tx.kind === 'checkin' && !policy.checkins)
      throw new OfflineError('offline_not_allowed', 'offline checkins are not allowed');
    const id = randomUUID();
    // IMMEDIATE: the limit checks and the insert see the same journal, even with another process writing.
    const sequence = this.db.transaction(() => {
      const outstanding = (this.statements.outstanding.get() as { n: number }).n;
      if (outstanding >= policy.maxTransactionsTotal)
        throw new OfflineError(
          'offline_limit_reached',
          `the offline journal holds ${outstanding} transactions, the most allowed`,
        );
      if (tx.kind === 'checkout') {
        const mine = (this.statements.patronCheckouts.get(tx.patron ?? null) as { n: number }).n;
        if (mine >= policy.maxCheckoutsPerPatron)
          throw new OfflineError(
            'offline_limit_reached',
            `this patron has ${mine} offline checkouts, the most allowed`,
          );
      }
      const result = this.statements.insert.run(
        id,
        tx.kind,
        tx.patron ?? null,
        tx.item,
        tx.terminal,
        tx.at,
        this.clock.now(),
      );
      return Number(result.lastInsertRowid);
    }, 'immediate');
    this.logger.info({ id, sequence, kind: tx.kind, item: tx.item }, 'offline transaction journaled');
    return { id, sequence };
  }

  /**
   * A fee payment is journaled whatever the policy says: its money is already
   * in a cash box, so refusing it would lose the record of it, not the payment.
   */
  private acceptFeePayment(tx: Extract<OfflineTransactionInput, { kind: 'feePaid' }>): {
    id: string;
    sequence: number;
  } {
    const id = randomUUID();
    const { fee } = tx;
    const result = this.statements.insertFee.run(
      id,
      tx.patron,
      tx.terminal,
      tx.at,
      this.clock.now(),
      fee.id ?? null,
      fee.type,
      fee.amountMinor,
      fee.currency,
      fee.transactionId,
      fee.owedBeforeMinor ?? null,
      fee.paymentType ?? null,
    );
    const sequence = Number(result.lastInsertRowid);
    this.logger.info(
      { id, sequence, kind: tx.kind, amountMinor: fee.amountMinor },
      'offline fee payment journaled',
    );
    return { id, sequence };
  }

  /**
   * A block of a patron's card is journaled whatever the policy and its limits: the self-check
   * has kept the card (stolen, say), and refusing the record would leave the card usable at the
   * ILS, not unblocked here.
   */
  private acceptBlock(tx: Extract<OfflineTransactionInput, { kind: 'blockPatron' }>): {
    id: string;
    sequence: number;
  } {
    const id = randomUUID();
    const result = this.statements.insertBlock.run(
      id,
      tx.patron,
      tx.terminal,
      tx.at,
      this.clock.now(),
      tx.block.cardRetained ? 1 : 0,
      tx.block.message,
    );
    const sequence = Number(result.lastInsertRowid);
    this.logger.info({ id, sequence, kind: tx.kind }, 'offline block journaled');
    return { id, sequence };
  }

  /** What the fee owed just before the replayer's first 37 for it; committed before that 37 goes out. */
  noteOwedBefore(id: string, owedMinor: number): void {
    this.statements.owedBefore.run(owedMinor, id);
  }

  get(id: string): OfflineTransaction | undefined {
    const row = this.statements.byId.get(id) as OfflineRow | undefined;
    return row && toTransaction(row);
  }

  /** Transactions waiting for replay (pending, or replaying when a run was cut short), in sequence order. */
  pending(): OfflineTransaction[] {
    return (this.statements.pending.all() as OfflineRow[]).map(toTransaction);
  }

  /** Transactions waiting for staff, in sequence order. */
  conflicts(): OfflineTransaction[] {
    return (this.statements.conflicts.all() as OfflineRow[]).map(toTransaction);
  }

  /** Every journaled transaction, in sequence order. */
  all(): OfflineTransaction[] {
    return (this.statements.all.all() as OfflineRow[]).map(toTransaction);
  }

  counts(): OfflineCounts {
    const counts: OfflineCounts = {
      pending: 0,
      replaying: 0,
      conflict: 0,
      done: 0,
      discarded: 0,
      outstanding: 0,
    };
    for (const row of this.statements.counts.all() as Array<{ state: OfflineState; n: number }>) {
      counts[row.state] = row.n;
    }
    counts.outstanding = counts.pending + counts.replaying + counts.conflict;
    return counts;
  }

  /**
   * Staff settle a conflict: 'retry' puts it back in the replay queue at its
   * place in the sequence, 'discard' drops it (kept in the journal as discarded).
   * 'retry' is refused (offline_replayed_after) once something taken after it about
   * its item reached the ILS: only discarding it is left, after staff did at the ILS
   * by hand what is still to be done.
   */
  resolve(id: string, action: OfflineResolution): OfflineTransaction {
    if (action === 'retry') this.refuseOutOfOrder(id);
    const changed =
      action === 'retry'
        ? this.statements.retry.run(id).changes
        : this.statements.discard.run(this.clock.now(), id).changes;
    const transaction = this.get(id);
    if (!transaction) throw new OfflineError('offline_not_found', `no offline transaction ${id}`);
    if (changed === 0)
      throw new OfflineError(
        'offline_not_in_conflict',
        `offline transaction ${id} is ${transaction.state}, not in conflict`,
      );
    this.logger.info({ id, action }, 'offline conflict resolved by staff');
    return transaction;
  }

  /**
   * A conflict is not sent again once a transaction taken after it about its item reached the ILS:
   * it would reach the ILS out of order (set-aside.ts). Its patron's later transactions do not bar
   * it: a patron's second loan, sent before her first, leaves the ILS as it would have been — and a
   * patron whose first checkout was refused (a hold put right since) must not be barred from it by
   * her next one, which went through.
   */
  refuseOutOfOrder(id: string): void {
    const tx = this.get(id);
    if (tx?.state !== 'conflict' || tx.item === '') return; // resolve says why
    const row = this.statements.replayedAfterForItem.get(tx.item, tx.sequence) as OfflineRow | undefined;
    if (row) throw new OfflineError('offline_replayed_after', replayedSince(tx, toTransaction(row)));
  }

  /**
   * Deletes transactions settled for good (done or discarded) before `before`
   * (epoch ms, by when they were settled); returns how many went. Pending,
   * replaying and conflict transactions are never touched, whatever their age.
   * Sequence numbers are not reused (AUTOINCREMENT), so replay order holds.
   */
  purgeSettled(before: number): number {
    if (!Number.isFinite(before)) return 0;
    const removed = this.statements.purgeSettled.run(Math.floor(before)).changes;
    if (removed > 0) {
      // secure_delete zeroed the rows in the file; the checkpoint takes their old pages out of the log.
      this.db.checkpoint();
      this.logger.info({ removed }, 'settled offline transactions purged');
    }
    return removed;
  }

  /** The first transaction waiting for replay. For the replayer. */
  nextToReplay(): OfflineTransaction | undefined {
    const row = this.statements.next.get() as OfflineRow | undefined;
    return row && toTransaction(row);
  }

  /**
   * The first transaction waiting for replay (pending or replaying) that is
   * about one of `keys`' items or its patron; undefined when none is.
   */
  firstWaitingFor(keys: OfflineOrderingKeys): OfflineTransaction | undefined {
    if (this.waitingCount() === 0) return undefined;
    let first: OfflineRow | undefined;
    const consider = (row: OfflineRow | undefined) => {
      if (row && (!first || row.sequence < first.sequence)) first = row;
    };
    for (const item of keys.items)
      consider(this.statements.waitingForItem.get(item) as OfflineRow | undefined);
    if (keys.patron !== undefined)
      consider(this.statements.waitingForPatron.get(keys.patron) as OfflineRow | undefined);
    return first && toTransaction(first);
  }

  /**
   * A conflict set aside because the ILS could not read it (or held behind one), taken before `tx`
   * about its item (else its patron): `tx` must wait for it. For the replayer.
   */
  setAsideBefore(tx: OfflineTransaction): OfflineTransaction | undefined {
    const { setAsideForItem, setAsideForPatron } = this.statements;
    const row = ((tx.item !== '' && setAsideForItem.get(tx.item, tx.sequence)) ||
      (tx.patron !== undefined && setAsideForPatron.get(tx.patron, tx.sequence)) ||
      undefined) as OfflineRow | undefined;
    return row && toTransaction(row);
  }

  /** How many transactions wait for replay (pending or replaying). */
  waitingCount(): number {
    if (this.waitingCache !== undefined) return this.waitingCache;
    const count = (this.statements.waiting.get() as { n: number }).n;
    if (!this.db.inTransaction) this.waitingCache = count;
    return count;
  }

  /** Durably marks a transaction as being replayed; false when it is no longer waiting. For the replayer. */
  beginReplay(id: string): boolean {
    return this.statements.beginReplay.run(id).changes === 1;
  }

  /** The ILS has it. For the replayer. */
  markDone(id: string, outcome: OfflineReplayOutcome): void {
    this.statements.settle.run('done', outcome, null, this.clock.now(), id);
  }

  /** The ILS would not take it as it stands: staff decide. For the replayer. */
  markConflict(id: string, reason: string, message?: string): void {
    this.statements.settle.run('conflict', reason, message ?? null, this.clock.now(), id);
  }

  /** The ILS could not be asked (offline, timeout): back in the queue. For the replayer. */
  interruptReplay(id: string, errorCode: string): void {
    this.statements.interrupt.run(errorCode, id);
  }
}
