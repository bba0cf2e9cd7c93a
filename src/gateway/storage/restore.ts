/**
 * Putting a backup back in place of the desk's database (its disk died, or the
 * file was damaged), done so that nothing is lost or done twice by it:
 *
 * - Carrel must be stopped: the instance lock is taken for the whole restore.
 * - The backup is checked before anything is touched: it opens, passes
 *   `PRAGMA integrity_check`, is a Carrel database, and no newer than this
 *   Carrel (checkSchemaVersions).
 * - The database in place is never deleted: it is renamed aside with its
 *   `-wal` and `-shm` under one new name (`carrel.replaced-20261204-230000Z.db`
 *   and its `-wal`), so it still opens with its last commits. Copying a backup
 *   over `carrel.db` and leaving the old `-wal` beside it would have SQLite
 *   apply the old log to the restored file.
 * - The copy is written with `VACUUM INTO` from the backup (so a backup that
 *   has a `-wal` of its own is taken whole), under a temporary name, adjusted by
 *   `adjust` (the offline journal holds its unsettled work for staff), checked,
 *   flushed, given the owner of the state directory when run as root (systemd
 *   runs Carrel as its own user), and only then renamed into place.
 */
import { existsSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CarrelError } from '../../core/errors.js';
import { giveOwnerOf } from '../../core/file-owner.js';
import { flushToDisk } from '../../core/flush-to-disk.js';
import { makeFolders, whyNotWritable } from '../../core/writable.js';
import { backupTakenAt, fileStamp, newestBackupIn } from './backup.js';
import type { Database, StorageBackend } from './database.js';
import { instanceLockPath, takeInstanceLock } from './instance-lock.js';
import { BACKUP_TAKEN_TABLE, integrityProblems, tableCount } from './integrity.js';
import { openDatabase } from './open.js';
import { checkSchemaVersions } from './schema-versions.js';

export interface RestoreOptions {
  /** Changes made to the restored copy before it is put in place; what it reports is returned. */
  adjust?: (db: Database, backupTakenAt: Date) => Record<string, number>;
  now?: Date;
  backend?: StorageBackend;
}

export interface RestoreResult {
  backup: string;
  /**
   * The moment of the backup's snapshot, as `carrel backup` wrote it in the file: everything the
   * desk acknowledged before it is in the backup. For a file that does not say (an older Carrel's),
   * the time in its name, else its modification time.
   */
  backupTakenAt: string;
  path: string;
  bytes: number;
  tables: number;
  /** Where the files that were in place went; empty when there was no database. */
  setAside: string[];
  /** What `adjust` reported. */
  adjusted: Record<string, number>;
}

/** The files SQLite keeps beside a database, moved together with it. */
const COMPANIONS = ['', '-wal', '-shm', '-journal'] as const;

export function restoreDatabase(backup: string, target: string, options: RestoreOptions = {}): RestoreResult {
  const from = resolve(backup);
  const to = resolve(target);
  if (existsSync(from) && statSync(from).isDirectory()) {
    // The backups folder itself (a tab completion stopped there): say so, and which backup it holds.
    const newest = newestBackupIn(from);
    throw new CarrelError(
      'restore_no_backup',
      newest === undefined
        ? `${from} is a folder, not a backup: it holds no carrel-….db backup; name the backup file to restore`
        : `${from} is a folder, not a backup: name the backup file in it (the newest there is ${newest})`,
    );
  }
  if (!existsSync(from) || !statSync(from).isFile())
    throw new CarrelError('restore_no_backup', `no backup file at ${from}`);
  if (existsSync(to) && realpathSync(from) === realpathSync(to))
    throw new CarrelError('restore_same_file', `${from} is the desk's database itself, not a backup of it`);
  const directory = dirname(to);
  makeFolders(directory, 0o750);
  const notWritable = whyNotWritable(to, { directoryToo: true });
  if (notWritable) throw new CarrelError('restore_not_writable', `cannot restore: ${notWritable}`);
  const backend = options.backend ? { backend: options.backend } : {};
  // Refuses while Carrel runs on this database (state_in_use), and keeps it from starting meanwhile.
  const lock = takeInstanceLock(to, options.backend);
  // A lock file made now by root would keep Carrel's user from taking it at its next start.
  giveOwnerOf(directory, instanceLockPath(to));
  const partial = join(directory, `.${basename(to)}.restoring-${process.pid}`);
  rmSync(partial, { force: true });
  const umask = process.umask(0o077);
  try {
    let takenAt = statSync(from).mtime;
    const source = openDatabase(from, { readOnly: true, ...backend });
    try {
      checkWhole(source, from);
      takenAt = backupTakenAt(source) ?? takenAtByName(from) ?? takenAt;
      const carrel = source
        .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
        .get();
      if (!carrel)
        throw new CarrelError('restore_not_carrel', `${from} is an SQLite file, but not a Carrel database`);
      checkSchemaVersions(source);
      source.prepare('VACUUM INTO ?').run(partial);
    } finally {
      source.close();
    }
    const copy = openDatabase(partial, backend);
    let adjusted: Record<string, number> = {};
    let tables: number;
    try {
      copy.exec(`DROP TABLE IF EXISTS ${BACKUP_TAKEN_TABLE}`);
      adjusted = options.adjust?.(copy, takenAt) ?? {};
      checkWhole(copy, partial);
      tables = tableCount(copy);
      // Everything in the main file, no -wal left beside the copy to be renamed with it.
      copy.checkpoint();
    } finally {
      copy.close();
    }
    for (const suffix of ['-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
    giveOwnerOf(directory, partial);
    flushToDisk(partial);
    const setAside = setAsideCurrent(to, options.now ?? new Date());
    renameSync(partial, to);
    flushToDisk(directory);
    return {
      backup: from,
      backupTakenAt: takenAt.toISOString(),
      path: to,
      bytes: statSync(to).size,
      tables,
      setAside,
      adjusted,
    };
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
    throw error;
  } finally {
    process.umask(umask);
    lock.release();
  }
}

/**
 * A backup named by its time (`carrel-20261204-213000Z.db`) whose file does not say its moment (an
 * older Carrel's): the name's time, taken before its copy began.
 */
function takenAtByName(path: string): Date | undefined {
  const stamp = /^carrel-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})Z\.db$/.exec(basename(path));
  if (!stamp) return undefined;
  const [, year, month, day, hour, minute, second] = stamp;
  const at = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  return Number.isNaN(at) ? undefined : new Date(at);
}

function checkWhole(db: Database, path: string): void {
  let problems: string[];
  try {
    problems = integrityProblems(db);
  } catch (error) {
    throw new CarrelError(
      'restore_damaged',
      `${path} cannot be read as a database: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (problems.length > 0)
    throw new CarrelError(
      'restore_damaged',
      `${path} failed its integrity check: ${problems.slice(0, 3).join('; ')}`,
    );
}

/**
 * Renames the database in place and its companions to `carrel.replaced-<time>.db` (`-wal`,
 * `-shm`): one name, so the old database still opens with its log.
 */
function setAsideCurrent(to: string, now: Date): string[] {
  const present = COMPANIONS.filter((suffix) => existsSync(`${to}${suffix}`));
  if (present.length === 0) return [];
  const stem = basename(to).replace(/\.db$/, '');
  const aside = join(dirname(to), `${stem}.replaced-${fileStamp(now)}.db`);
  if (COMPANIONS.some((suffix) => existsSync(`${aside}${suffix}`)))
    throw new CarrelError('restore_exists', `${aside} exists already: wait a second and run it again`);
  return present.map((suffix) => {
    renameSync(`${to}${suffix}`, `${aside}${suffix}`);
    return `${aside}${suffix}`;
  });
}
