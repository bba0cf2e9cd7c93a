import { CarrelError } from '../../core/errors.js';

/**
 * The SQLite database as Carrel uses it, whichever driver is underneath: the
 * built-in `node:sqlite` (Node 22.16+, 24) or better-sqlite3 (Node 20). Every
 * consumer (offline journal, print jobs, statistics) goes through this and
 * never imports a driver. Both backends pass test/gateway/storage/contract.test.ts.
 *
 * Everything is synchronous: when a call returns, its write is committed (and,
 * with synchronous=FULL, on disk).
 */
export interface Database {
  /** Which driver this database runs on. */
  readonly backend: StorageBackend;
  /** The file, or ':memory:'. */
  readonly path: string;
  /** True inside `transaction()` (or any transaction SQLite has open). */
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  /** Runs one or more statements separated by semicolons; no parameters, no rows. */
  exec(sql: string): void;
  /**
   * Runs `work` in a transaction and returns what it returns. It commits when
   * `work` returns and rolls back (then rethrows) when it throws. `immediate`
   * takes the write lock at BEGIN, so what `work` reads cannot change before it
   * writes, even with another process on the same file. Called inside another
   * transaction it is a savepoint: a throw undoes only its own work. `work` must
   * be synchronous: a promise is refused (rolled back, `database_error`).
   */
  transaction<T>(work: () => T, mode?: TransactionMode): T;
  /**
   * Runs `work` with commits that survive a crash of Carrel (SIGKILL, an
   * abort) but not necessarily a power cut: in WAL, synchronous=NORMAL, so its
   * commits wait for no fsync and become durable with the next full commit or
   * checkpoint. Only for records that are neither money nor circulation and
   * are written on a hot path (a gate's alarm history, the desk statistics'
   * counts). Inside a transaction that transaction's commit decides. The level
   * is restored afterwards.
   */
  relaxedDurability<T>(work: () => T): T;
  /** `PRAGMA <statement>`, e.g. `journal_mode = WAL`; the rows it gives. */
  pragma(statement: string): SqlRow[];
  /** The first column of the first row of `PRAGMA <name>`, e.g. `pragmaValue('synchronous')` is 2. */
  pragmaValue(name: string): SqlValue | undefined;
  /**
   * Copies the write-ahead log into the database file and truncates the log to
   * zero bytes, so page images it held (deleted patron data among them) leave
   * the disk. False when it could not (in memory, inside a transaction, or
   * another process still reads an older snapshot); the next one catches up.
   */
  checkpoint(): boolean;
  /** Closes the database; again is a no-op. Afterwards every call fails with `database_error`. */
  close(): void;
}

export interface Statement {
  run(...parameters: SqlValue[]): RunResult;
  /** The first row, or undefined when there is none. Cast it to the row type the SQL gives. */
  get(...parameters: SqlValue[]): unknown;
  /** Every row, as plain objects keyed by column name. */
  all(...parameters: SqlValue[]): unknown[];
}

export interface RunResult {
  /** Rows inserted, updated or deleted by this statement (not by triggers). */
  changes: number;
  /** The rowid of the last row inserted on this connection. */
  lastInsertRowid: number | bigint;
}

/**
 * What a parameter may be: NULL, a number (bound as REAL, stored as INTEGER in
 * an INTEGER column), a bigint (bound as an exact 64-bit INTEGER), text, or a
 * blob. Anything else (undefined, a boolean, an object) is refused.
 * What a row holds: null, number (INTEGER or REAL), string, or a Buffer for a
 * BLOB (on both backends).
 */
export type SqlValue = null | number | bigint | string | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

export type TransactionMode = 'deferred' | 'immediate';

export type StorageBackend = 'node:sqlite' | 'better-sqlite3';

/**
 * What a failed statement means for the desk: `storage_full` (the disk is full), `storage_unwritable`
 * (a read-only file system, as ext4 remounts itself after disk errors, or an I/O error), else
 * `database_error` (bad SQL, a constraint, busy, closed: Carrel's business).
 */
export type DatabaseErrorCode = 'database_error' | 'storage_full' | 'storage_unwritable';

/** Every failure SQLite reports is this, on both backends, its code saying which kind. */
export class DatabaseError extends CarrelError {
  declare readonly code: DatabaseErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: DatabaseErrorCode }) {
    super(options?.code ?? 'database_error', message, options);
  }
}

/** Storage faults since the process started, of every database it opened (`/metrics`). */
const faults: Record<Exclude<DatabaseErrorCode, 'database_error'>, number> = {
  storage_full: 0,
  storage_unwritable: 0,
};

/** When each kind of fault last happened (ms since the epoch), absent before the first. */
const lastFaultAt: Partial<Record<keyof typeof faults, number>> = {};

/** How many statements failed for a full disk, or for a database that could not be written, so far. */
export function storageFaultCounts(): Readonly<typeof faults> {
  return faults;
}

/** When the last of each kind failed (ms since the epoch): a fault of minutes ago is likely still on. */
export function storageFaultTimes(): Readonly<Partial<Record<keyof typeof faults, number>>> {
  return lastFaultAt;
}

/** SQLite's primary result codes that are the disk's doing, not Carrel's. */
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;

/**
 * Wraps what a driver threw; a DatabaseError passes through unchanged. node:sqlite gives SQLite's
 * (extended) result code as `errcode`, better-sqlite3 its name as `code` (`SQLITE_IOERR_WRITE`).
 */
export function databaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const { errcode, code } = (error ?? {}) as { errcode?: unknown; code?: unknown };
  const primary =
    typeof errcode === 'number'
      ? errcode & 0xff
      : typeof code === 'string'
        ? { SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR }[code.split('_').slice(0, 2).join('_')]
        : undefined;
  if (primary === SQLITE_FULL) {
    faults.storage_full++;
    lastFaultAt.storage_full = Date.now();
    return new DatabaseError(`the disk holding the database is full: nothing was written (${message})`, {
      cause: error,
      code: 'storage_full',
    });
  }
  if (primary === SQLITE_READONLY || primary === SQLITE_IOERR) {
    faults.storage_unwritable++;
    lastFaultAt.storage_unwritable = Date.now();
    return new DatabaseError(`the database cannot be written: nothing was written (${message})`, {
      cause: error,
      code: 'storage_unwritable',
    });
  }
  return new DatabaseError(message, { cause: error });
}

/** Runs what a driver is asked to do; what it throws comes out as `databaseError` makes it. */
export function withDatabaseErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw databaseError(error);
  }
}

/** Refuses a parameter neither driver binds the same way (better-sqlite3 binds undefined as NULL, node:sqlite throws). */
export function checkParameters(parameters: readonly unknown[]): void {
  for (let i = 0; i < parameters.length; i++) {
    const value = parameters[i];
    const type = typeof value;
    if (
      value === null ||
      type === 'number' ||
      type === 'string' ||
      type === 'bigint' ||
      value instanceof Uint8Array
    )
      continue;
    throw new DatabaseError(`parameter ${i + 1} cannot be stored in SQLite: ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}
