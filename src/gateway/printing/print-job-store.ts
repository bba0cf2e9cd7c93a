import { isoTime } from '../../core/iso-time.js';
import type { Database } from '../storage/index.js';
import { migrate } from '../storage/index.js';

export type PrintJobState = 'queued' | 'printing' | 'printed' | 'failed' | 'unconfirmed' | 'expired';

/** What the API and events show of a job: never its data or bytes (they may name a patron). */
export interface PrintJobRecord {
  id: string;
  printer: string;
  template: string;
  state: PrintJobState;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  error: { code: string; message: string } | null;
  /** In words, what of the receipt did not print as written (letters the code page lacks); absent when all did. */
  notice?: string;
}

interface Row {
  id: string;
  printer: string;
  template: string;
  state: PrintJobState;
  created_at: number;
  queued_at: number;
  updated_at: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  notice: string | null;
}

const MIGRATIONS = [
  `CREATE TABLE print_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    printer TEXT NOT NULL,
    template TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    queued_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    bytes BLOB
  );
  CREATE INDEX print_jobs_by_printer_state ON print_jobs (printer, state, seq);`,
  // What of the receipt did not print as written, in words (never its text, which may name a patron).
  'ALTER TABLE print_jobs ADD COLUMN notice TEXT;',
];

const COLUMNS =
  'id, printer, template, state, created_at, queued_at, updated_at, attempts, error_code, error_message, notice';

/**
 * The print jobs of one printer in SQLite. Every state change is one
 * synchronous statement, so it is on disk before the caller goes on.
 */
export class PrintJobStore {
  constructor(
    private readonly db: Database,
    private readonly printer: string,
  ) {
    migrate(db, 'print-queue', MIGRATIONS);
  }

  insert(job: {
    id: string;
    template: string;
    bytes: Uint8Array;
    now: number;
    notice?: string;
  }): PrintJobRecord {
    this.db
      .prepare(
        `INSERT INTO print_jobs (id, printer, template, state, created_at, queued_at, updated_at, attempts, bytes, notice)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, 0, ?, ?)`,
      )
      .run(
        job.id,
        this.printer,
        job.template,
        job.now,
        job.now,
        job.now,
        Buffer.from(job.bytes),
        job.notice ?? null,
      );
    return this.get(job.id)!;
  }

  get(id: string): PrintJobRecord | undefined {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM print_jobs WHERE id = ? AND printer = ?`)
      .get(id, this.printer) as Row | undefined;
    return row && toRecord(row);
  }

  list(filter: { state?: PrintJobState; limit?: number } = {}): PrintJobRecord[] {
    const limit = Math.max(1, Math.trunc(filter.limit ?? 1000));
    const rows = (
      filter.state
        ? this.db
            .prepare(`SELECT ${COLUMNS} FROM print_jobs WHERE printer = ? AND state = ? ORDER BY seq LIMIT ?`)
            .all(this.printer, filter.state, limit)
        : this.db
            .prepare(`SELECT ${COLUMNS} FROM print_jobs WHERE printer = ? ORDER BY seq LIMIT ?`)
            .all(this.printer, limit)
    ) as Row[];
    return rows.map(toRecord);
  }

  /** Jobs waiting or on their way: what the queue limit counts. */
  countWaiting(): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM print_jobs WHERE printer = ? AND state IN ('queued', 'printing')`)
      .get(this.printer) as { n: number };
    return row.n;
  }

  /** The oldest queued job with its bytes. */
  nextQueued(): { record: PrintJobRecord; bytes: Uint8Array } | undefined {
    const row = this.db
      .prepare(
        `SELECT ${COLUMNS}, bytes FROM print_jobs WHERE printer = ? AND state = 'queued' ORDER BY seq LIMIT 1`,
      )
      .get(this.printer) as (Row & { bytes: Buffer | null }) | undefined;
    if (!row) return undefined;
    return { record: toRecord(row), bytes: new Uint8Array(row.bytes ?? Buffer.alloc(0)) };
  }

  /** queued → printing, counting the attempt. False when the job was no longer queued. */
  markPrinting(id: string, now: number): boolean {
    const result = this.db
      .prepare(
        `UPDATE print_jobs SET state = 'printing', attempts = attempts + 1, updated_at = ?, error_code = NULL,
         error_message = NULL WHERE id = ? AND printer = ? AND state = 'queued'`,
      )
      .run(now, id, this.printer);
    return result.changes === 1;
  }

  /**
   * printing → printed; the receipt's bytes are deleted: they name a patron.
   * secure_delete zeroes them in the file and the checkpoint takes the old page
   * images out of the write-ahead log (about a millisecond a receipt).
   */
  markPrinted(id: string, now: number): void {
    const erased = this.db
      .prepare(
        `UPDATE print_jobs SET state = 'printed', updated_at = ?, bytes = NULL, error_code = NULL,
         error_message = NULL WHERE id = ? AND printer = ?`,
      )
      .run(now, id, this.printer).changes;
    if (erased > 0) this.db.checkpoint();
  }

  setState(
    id: string,
    state: Exclude<PrintJobState, 'printed'>,
    now: number,
    error: { code: string; message: string } | null,
  ): void {
    this.db
      .prepare(
        `UPDATE print_jobs SET state = ?, updated_at = ?, error_code = ?, error_message = ?
         WHERE id = ? AND printer = ?`,
      )
      .run(state, now, error?.code ?? null, error?.message ?? null, id, this.printer);
  }

  /** A staff retry: back to queued with a fresh expiry window. False when it cannot be retried. */
  requeue(id: string, now: number): boolean {
    const result = this.db
      .prepare(
        `UPDATE print_jobs SET state = 'queued', queued_at = ?, updated_at = ?, error_code = NULL,
         error_message = NULL WHERE id = ? AND printer = ? AND state IN ('unconfirmed', 'failed', 'expired')
         AND bytes IS NOT NULL`,
      )
      .run(now, now, id, this.printer);
    return result.changes === 1;
  }

  /** Jobs left in `printing` by a process that stopped mid-send. */
  listInterrupted(): PrintJobRecord[] {
    return this.list({ state: 'printing' });
  }

  /** Queued jobs that have waited since before `cutoff`. */
  listQueuedBefore(cutoff: number): PrintJobRecord[] {
    const rows = this.db
      .prepare(
        `SELECT ${COLUMNS} FROM print_jobs WHERE printer = ? AND state = 'queued' AND queued_at <= ? ORDER BY seq`,
      )
      .all(this.printer, cutoff) as Row[];
    return rows.map(toRecord);
  }

  /** Forgets finished jobs last touched before `cutoff`, their bytes gone from the file and its log. */
  prune(cutoff: number): number {
    const pruned = this.db
      .prepare(
        `DELETE FROM print_jobs WHERE printer = ? AND state IN ('printed', 'failed', 'unconfirmed', 'expired')
         AND updated_at <= ?`,
      )
      .run(this.printer, cutoff).changes;
    if (pruned > 0) this.db.checkpoint();
    return pruned;
  }
}

function toRecord(row: Row): PrintJobRecord {
  return {
    id: row.id,
    printer: row.printer,
    template: row.template,
    state: row.state,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    attempts: row.attempts,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    ...(row.notice ? { notice: row.notice } : {}),
  };
}
