import { CarrelError } from '../../core/errors.js';
import { chooseBackend, connect } from './backends.js';
import type { Database, StorageBackend } from './database.js';
import { SqliteDatabase } from './sqlite-database.js';

export interface OpenDatabaseOptions {
  /** How long a statement waits for another process's lock before failing busy (5 s). */
  busyTimeoutMs?: number;
  /** The driver; chooseBackend() by default. Tests name one to run the contract on each. */
  backend?: StorageBackend;
}

/**
 * Opens (creating when needed) the gateway's SQLite database: WAL journal,
 * synchronous=FULL (a committed write survives power loss), a busy timeout for
 * the odd concurrent reader, and foreign keys.
 * `':memory:'` gives a private in-memory database for tests. The driver loads
 * here, on first open, so a gateway that needs no storage loads none.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const backend = options.backend ?? chooseBackend();
  let db: SqliteDatabase;
  try {
    db = new SqliteDatabase(connect(backend, path), path);
  } catch (error) {
    if (error instanceof CarrelError && error.code !== 'database_error') throw error;
    throw openFailed(path, error);
  }
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw openFailed(path, error);
  }
  return db;
}

function openFailed(path: string, error: unknown): CarrelError {
  const message = error instanceof Error ? error.message : String(error);
  return new CarrelError('database_open_failed', `cannot open database ${path}: ${message}`, {
    cause: error,
  });
}
