import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { whyNotWritable } from '../../core/writable.js';
import { chooseBackend, connect } from './backends.js';
import { type Database, DatabaseError, type StorageBackend } from './database.js';
import { SqliteDatabase } from './sqlite-database.js';

export interface OpenDatabaseOptions {
  /** How long a statement waits for another process's lock before failing busy (5 s). */
  busyTimeoutMs?: number;
  /** The driver; chooseBackend() by default. Tests name one to run the contract on each. */
  backend?: StorageBackend;
  /** Told when a file from an older Carrel could not be scrubbed of freed patron data. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Opens an existing file for reading only (`carrel doctor`'s integrity check beside a running
   * Carrel): nothing is set that writes, and the file is not scrubbed.
   */
  readOnly?: boolean;
}

/**
 * `PRAGMA user_version` of a database whose freed pages have all been zeroed:
 * written once secure_delete has been on since the file was made, or since an
 * older file was vacuumed.
 */
const SCRUBBED_VERSION = 1;

/**
 * Opens (creating when needed) the gateway's SQLite database: WAL journal,
 * synchronous=FULL (a committed write survives power loss), a busy timeout for
 * the odd concurrent reader, foreign keys, and secure_delete (deleted rows are
 * overwritten with zeros, so a purged patron does not linger in free pages).
 * `':memory:'` gives a private in-memory database for tests. The driver loads
 * here, on first open, so a gateway that needs no storage loads none.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const backend = options.backend ?? chooseBackend();
  if (path !== ':memory:' && !options.readOnly) keepPrivate(path);
  let db: SqliteDatabase;
  try {
    db = new SqliteDatabase(connect(backend, path, { readOnly: options.readOnly === true }), path);
  } catch (error) {
    if (error instanceof CarrelError && !(error instanceof DatabaseError)) throw error;
    throw openFailed(path, error);
  }
  if (options.readOnly) {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    return db;
  }
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
  } catch (error) {
    db.close();
    throw openFailed(path, error);
  }
  scrubFreedPages(db, options.logger);
  return db;
}

/**
 * The database holds patron ids (payments, the offline journal, card issues): never readable by
 * every user of the machine. A new file is made here with 0660 less the umask (0640 under the
 * systemd unit's UMask=0027, for its group) before SQLite would make it 0644 less the umask; its
 * -wal and -shm files take the database file's permissions. What an older Carrel made readable
 * to everyone loses the others' bits; the owner's and the group's stay as IT set them. Anything
 * that fails here (no such folder, a file of another user) is left to the open, which says why.
 */
function keepPrivate(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o660));
    return;
  } catch {
    // There already, or not to be made: the open below tells which.
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o007) !== 0) chmodSync(file, mode & ~0o007);
    } catch {
      // Absent, or not this user's to change.
    }
  }
}

/**
 * A file written by a Carrel without secure_delete may still hold deleted
 * receipts and patron ids in its free pages: it is vacuumed once (rebuilt with
 * no free space) and marked. If that fails (a full disk) Carrel runs on with
 * the file as it is and tries again at the next start.
 */
function scrubFreedPages(db: Database, logger: OpenDatabaseOptions['logger']): void {
  if (Number(db.pragmaValue('user_version')) >= SCRUBBED_VERSION) return;
  try {
    const tables = db.prepare('SELECT COUNT(*) AS n FROM sqlite_schema').get() as { n: number };
    if (tables.n > 0 && db.path !== ':memory:') {
      db.exec('VACUUM');
      db.checkpoint();
    }
    db.pragma(`user_version = ${SCRUBBED_VERSION}`);
  } catch (error) {
    logger?.warn(
      { error: describeError(error) },
      'database not scrubbed of data deleted before secure_delete',
    );
  }
}

function openFailed(path: string, error: unknown): CarrelError {
  const message = error instanceof Error ? error.message : String(error);
  // Read-only at open is most often a file of another user: say whose, and what to do.
  const why =
    error instanceof DatabaseError && error.code === 'storage_unwritable'
      ? whyNotWritable(path, { directoryToo: true })
      : undefined;
  return new CarrelError('database_open_failed', `cannot open database ${path}: ${why ?? message}`, {
    cause: error,
  });
}
