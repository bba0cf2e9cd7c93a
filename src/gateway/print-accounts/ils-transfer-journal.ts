/**
 * The ILS transfer journal: one row per transfer of a patron's ILS credit into
 * the print account. The row is written `pending` (and committed) before the
 * ILS is asked to debit the patron, so a crash at any later point leaves a
 * row that recovery settles by asking the ILS for the debit. The deposit and
 * the row's `deposited` are one SQLite transaction: the ledger and the journal
 * never disagree, and a transfer is deposited at most once.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { IlsTransferState } from '../contracts/print-accounts.js';
import { type Database, type Statement, statementsOn } from '../storage/index.js';
import type { PrintLedger } from './ledger.js';

export type { IlsTransferState };

export interface IlsTransferRow {
  id: string;
  requestId: string;
  account: string;
  amountMinor: number;
  currency: string;
  ilsKind: string;
  ilsPatron: string;
  staff: string | null;
  state: IlsTransferState;
  ilsDebitId: string | null;
  entryId: string | null;
  failureCode: string | null;
  failure: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  request_id: string;
  account: string;
  amount_minor: number;
  currency: string;
  ils_kind: string;
  ils_patron: string;
  staff: string | null;
  state: IlsTransferState;
  ils_debit_id: string | null;
  entry_id: string | null;
  failure_code: string | null;
  failure: string | null;
  created_at: number;
  updated_at: number;
}

/** The ledger request id of a transfer's deposit: one per transfer, so it cannot be deposited twice. */
export const depositRequestOf = (transferId: string) => `ils-transfer:${transferId}`;

export class IlsTransferJournal {
  private readonly sql: (text: string) => Statement;

  constructor(
    private readonly db: Database,
    private readonly ledger: PrintLedger,
    private readonly clock: Clock,
  ) {
    this.sql = statementsOn(db);
  }

  byRequest(requestId: string): IlsTransferRow | undefined {
    const row = this.sql('SELECT * FROM print_ils_transfers WHERE request_id = ?').get(requestId) as
      | Row
      | undefined;
    return row && rowOf(row);
  }

  get(id: string): IlsTransferRow | undefined {
    const row = this.sql('SELECT * FROM print_ils_transfers WHERE id = ?').get(id) as Row | undefined;
    return row && rowOf(row);
  }

  /** Journals a transfer about to debit the ILS; the row the request id already has, when it has one. */
  begin(start: {
    requestId: string;
    account: string;
    amountMinor: number;
    currency: string;
    ilsKind: string;
    ilsPatron: string;
    staff?: string;
  }): { row: IlsTransferRow; repeated: boolean } {
    return this.db.transaction(() => {
      const existing = this.byRequest(start.requestId);
      if (existing) return { row: existing, repeated: true };
      const id = randomUUID();
      const now = this.clock.now();
      this.sql(
        `INSERT INTO print_ils_transfers (id, request_id, account, amount_minor, currency, ils_kind, ils_patron,
             staff, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      ).run(
        id,
        start.requestId,
        start.account,
        start.amountMinor,
        start.currency,
        start.ilsKind,
        start.ilsPatron,
        start.staff ?? null,
        now,
        now,
      );
      return { row: this.get(id) as IlsTransferRow, repeated: false };
    }, 'immediate');
  }

  /** The ILS took the credit: the deposit and the row's new state, in one transaction. */
  deposit(id: string, ilsDebitId: string): IlsTransferRow {
    return this.db.transaction(() => {
      const row = this.get(id);
      if (!row) throw new Error(`no ILS transfer ${id}`);
      if (row.state !== 'pending') return row;
      const { entry } = this.ledger.post({
        requestId: depositRequestOf(id),
        account: row.account,
        kind: 'deposit',
        amountMinor: row.amountMinor,
        currency: row.currency,
        source: 'ils-transfer',
        ...(row.staff !== null ? { staff: row.staff } : {}),
        reason: `from the ILS (${row.ilsKind} debit ${ilsDebitId})`,
      });
      this.sql(
        `UPDATE print_ils_transfers SET state = 'deposited', ils_debit_id = ?, entry_id = ?, updated_at = ?
           WHERE id = ? AND state = 'pending'`,
      ).run(ilsDebitId, entry.id, this.clock.now(), id);
      return this.get(id) as IlsTransferRow;
    }, 'immediate');
  }

  /** The ILS did not take the credit: nothing is deposited, and the reason is kept. */
  fail(id: string, code: string, message: string): IlsTransferRow {
    this.sql(
      `UPDATE print_ils_transfers SET state = 'failed', failure_code = ?, failure = ?, updated_at = ?
         WHERE id = ? AND state = 'pending'`,
    ).run(code, message.slice(0, 500), this.clock.now(), id);
    return this.get(id) as IlsTransferRow;
  }

  pending(): IlsTransferRow[] {
    return (
      this.sql("SELECT * FROM print_ils_transfers WHERE state = 'pending' ORDER BY created_at").all() as Row[]
    ).map(rowOf);
  }

  /** Newest first: every transfer, or one patron's, or those in one state (e.g. `failed`). */
  list(options: { account?: string; state?: IlsTransferState; limit?: number } = {}): IlsTransferRow[] {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const account = options.account ?? null;
    const state = options.state ?? null;
    return (
      this.sql(
        `SELECT * FROM print_ils_transfers
           WHERE (? IS NULL OR account = ?) AND (? IS NULL OR state = ?)
           ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ).all(account, account, state, state, limit) as Row[]
    ).map(rowOf);
  }

  /**
   * What must hold, as a list of what does not: each deposited transfer has its
   * one deposit of its amount, and no transfer deposit exists without a
   * deposited transfer.
   */
  invariantViolations(): string[] {
    const problems: string[] = [];
    const rows = this.sql(
      `SELECT t.id, t.state, t.amount_minor, t.entry_id, l.id AS ledger_id, l.amount_minor AS ledger_amount
         FROM print_ils_transfers t LEFT JOIN print_ledger l ON l.request_id = 'ils-transfer:' || t.id`,
    ).all() as Array<{
      id: string;
      state: IlsTransferState;
      amount_minor: number;
      entry_id: string | null;
      ledger_id: string | null;
      ledger_amount: number | null;
    }>;
    for (const row of rows) {
      if (row.state === 'deposited' && (row.ledger_id === null || row.ledger_id !== row.entry_id))
        problems.push(`ILS transfer ${row.id}: deposited without its deposit`);
      if (row.state !== 'deposited' && row.ledger_id !== null)
        problems.push(`ILS transfer ${row.id}: ${row.state} but deposited`);
      if (row.ledger_id !== null && row.ledger_amount !== row.amount_minor)
        problems.push(`ILS transfer ${row.id}: deposit ${row.ledger_amount} ≠ ${row.amount_minor}`);
    }
    const orphans = this.sql(
      `SELECT COUNT(*) AS n FROM print_ledger l WHERE l.request_id LIKE 'ils-transfer:%'
         AND NOT EXISTS (SELECT 1 FROM print_ils_transfers t WHERE l.request_id = 'ils-transfer:' || t.id)`,
    ).get() as { n: number };
    if (orphans.n > 0) problems.push(`${orphans.n} ILS transfer deposit(s) without a transfer`);
    return problems;
  }
}

function rowOf(row: Row): IlsTransferRow {
  return {
    id: row.id,
    requestId: row.request_id,
    account: row.account,
    amountMinor: row.amount_minor,
    currency: row.currency,
    ilsKind: row.ils_kind,
    ilsPatron: row.ils_patron,
    staff: row.staff,
    state: row.state,
    ilsDebitId: row.ils_debit_id,
    entryId: row.entry_id,
    failureCode: row.failure_code,
    failure: row.failure,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
