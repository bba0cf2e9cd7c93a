import { readFileSync, statSync } from 'node:fs';
import { CarrelError } from '../../core/errors.js';
import { whyNotWritable } from '../../core/writable.js';
import { chooseBackend, connect } from './backends.js';
import { DatabaseError, type StorageBackend } from './database.js';
import type { Connection } from './sqlite-database.js';

/** The lock file beside a database: `/var/lib/carrel/carrel.db` → `/var/lib/carrel/carrel.db.lock`. */
export function instanceLockPath(databasePath: string): string {
  return `${databasePath}.lock`;
}

export interface InstanceLock {
  readonly path: string;
  /** Lets the next Carrel in; idempotent. */
  release(): void;
}

/**
 * Makes sure one Carrel at a time uses a database. Two daemons on one state
 * would both replay the offline journal to the ILS (each checkout twice) and
 * both drive the same money devices.
 *
 * The lock is SQLite's own file lock (POSIX fcntl) on a small file beside the
 * database, held in exclusive locking mode from start to stop. The kernel drops
 * it when the process dies, however it dies, so a SIGKILLed Carrel never leaves
 * a stale lock behind, and it works between containers that share the state
 * directory. It lives in the state directory (mode 0750 under systemd), so no
 * other user can hold it to keep Carrel from starting. The database itself is
 * not locked: `carrel doctor` still reads it beside the running daemon.
 */
export function takeInstanceLock(
  databasePath: string,
  backend: StorageBackend = chooseBackend(),
): InstanceLock {
  const path = instanceLockPath(databasePath);
  // A lock file this user cannot write would open read-only, and lock nothing.
  const unwritable = whyNotWritable(path);
  if (unwritable) throw new CarrelError('state_lock_failed', `cannot lock ${path}: ${unwritable}`);
  let connection: Connection | undefined;
  try {
    connection = connect(backend, path);
    // Fail at once rather than wait. Nothing is ever written, so no journal file either (MEMORY:
    // the drivers' defensive mode refuses OFF).
    connection.exec('PRAGMA busy_timeout = 0');
    connection.exec('PRAGMA locking_mode = EXCLUSIVE');
    connection.exec('PRAGMA journal_mode = MEMORY');
    // In exclusive locking mode the lock a write transaction takes is kept until the connection closes.
    connection.exec('BEGIN EXCLUSIVE');
    connection.exec('COMMIT');
  } catch (error) {
    connection?.close();
    if (error instanceof CarrelError && !(error instanceof DatabaseError)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/locked|busy/i.test(message)) {
      throw new CarrelError(
        'state_in_use',
        `another Carrel is running on ${databasePath} (it holds ${path}): stop it first, ` +
          `or give this one its own storage.path; \`fuser -v ${path}\` names the process`,
        { cause: error },
      );
    }
    throw new CarrelError('state_lock_failed', `cannot lock ${path}: ${message}`, { cause: error });
  }
  const held = connection;
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      held.close();
    },
  };
}

/**
 * The process holding a database's instance lock, read from the kernel's lock table (Linux
 * `/proc/locks`) without touching the lock: taking it, even for a moment, could turn away a
 * Carrel starting at that moment. Undefined when no process holds it, or where there is no
 * lock table to read.
 */
export function instanceLockHolder(databasePath: string): number | undefined {
  let file: { dev: bigint; ino: bigint };
  let table: string;
  try {
    file = statSync(instanceLockPath(databasePath), { bigint: true });
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // glibc's major() and minor() of st_dev, as the kernel prints them: "1: POSIX ADVISORY WRITE
  // <pid> <major>:<minor>:<inode> <start> <end>" (a waiting lock's line starts "1: -> ").
  const major = ((file.dev >> 8n) & 0xfffn) | ((file.dev >> 32n) & ~0xfffn);
  const minor = (file.dev & 0xffn) | ((file.dev >> 12n) & ~0xffn);
  const where = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${file.ino}`;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '->') continue;
    if (fields[5] !== where) continue;
    const pid = Number(fields[4]);
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  return undefined;
}
