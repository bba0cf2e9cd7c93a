import {
  type Database,
  DatabaseError,
  type SqlRow,
  type SqlValue,
  type Statement,
  type StorageBackend,
  type TransactionMode,
} from './database.js';
import { StatementCache } from './statement-cache.js';

/**
 * What a driver adapter gives (node-sqlite.ts, better-sqlite3.ts): statements
 * whose parameters are checked, rows plain objects and errors DatabaseErrors.
 * SqliteDatabase builds transactions, pragmas, checkpoints and close on it, so
 * they are the same code on both drivers.
 */
export interface Connection {
  readonly backend: StorageBackend;
  /** SQLite's own answer (not autocommit), so a transaction SQLite rolled back by itself is seen. */
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): void;
  close(): void;
}

const SAVEPOINT = 'carrel_transaction';

export class SqliteDatabase implements Database {
  private closed = false;
  /** BEGIN, COMMIT, SAVEPOINT…: prepared once, used by every transaction. */
  private readonly control: StatementCache;
  /** The connection's synchronous level as opened (FULL, 2), read once. */
  private syncLevel: number | undefined;

  constructor(
    private readonly connection: Connection,
    readonly path: string,
  ) {
    this.control = new StatementCache(connection);
  }

  get backend(): StorageBackend {
    return this.connection.backend;
  }

  get inTransaction(): boolean {
    return !this.closed && this.connection.inTransaction;
  }

  prepare(sql: string): Statement {
    this.ensureOpen();
    return this.connection.prepare(sql);
  }

  exec(sql: string): void {
    this.ensureOpen();
    this.connection.exec(sql);
  }

  transaction<T>(work: () => T, mode: TransactionMode = 'deferred'): T {
    this.ensureOpen();
    if (this.connection.inTransaction) return this.savepoint(work);
    this.run(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    try {
      const result = synchronously(work);
      this.run('COMMIT');
      return result;
    } catch (error) {
      // SQLite may have rolled back already (a full disk, say): then there is nothing to undo.
      if (this.connection.inTransaction) this.run('ROLLBACK');
      throw error;
    }
  }

  relaxedDurability<T>(work: () => T): T {
    this.ensureOpen();
    // Inside a transaction, its COMMIT decides; the level cannot change there anyway.
    if (this.connection.inTransaction) return work();
    this.syncLevel ??= Number(this.pragmaValue('synchronous'));
    const level = this.syncLevel;
    if (level <= 1) return work();
    this.run('PRAGMA synchronous = NORMAL');
    try {
      return work();
    } finally {
      this.run(`PRAGMA synchronous = ${level}`);
    }
  }

  pragma(statement: string): SqlRow[] {
    return this.prepare(`PRAGMA ${statement}`).all() as SqlRow[];
  }

  pragmaValue(name: string): SqlValue | undefined {
    const row = this.prepare(`PRAGMA ${name}`).get() as SqlRow | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  }

  checkpoint(): boolean {
    this.ensureOpen();
    // Inside a transaction SQLite cannot checkpoint; in memory there is no log.
    if (this.path === ':memory:' || this.connection.inTransaction) return false;
    const row = this.pragma('wal_checkpoint(TRUNCATE)')[0];
    return row?.busy === 0;
  }

  close(): void {
    if (this.closed) return;
    this.control.clear();
    this.connection.close();
    this.closed = true;
  }

  private savepoint<T>(work: () => T): T {
    this.run(`SAVEPOINT ${SAVEPOINT}`);
    try {
      const result = synchronously(work);
      this.run(`RELEASE ${SAVEPOINT}`);
      return result;
    } catch (error) {
      if (this.connection.inTransaction) {
        this.run(`ROLLBACK TO ${SAVEPOINT}`);
        this.run(`RELEASE ${SAVEPOINT}`);
      }
      throw error;
    }
  }

  private run(sql: string): void {
    this.control.get(sql).run();
  }

  private ensureOpen(): void {
    if (this.closed) throw new DatabaseError(`the database ${this.path} is closed`);
  }
}

/** A transaction's work must finish before COMMIT: a promise would commit half of it. */
function synchronously<T>(work: () => T): T {
  const result = work();
  if (typeof (result as { then?: unknown } | null)?.then === 'function')
    throw new DatabaseError('a transaction cannot wait for a promise: its work must be synchronous');
  return result;
}
