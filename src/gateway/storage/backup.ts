/**
 * A backup of the desk's database while Carrel runs: the print accounts'
 * money, payments, the offline journal not yet replayed, card issues and the
 * statistics are in that one file, and a desk's disk can die.
 *
 * Copying the file is not a backup: in WAL mode the latest commits may still
 * be in `carrel.db-wal`, and a copy taken during a write is torn. SQLite's
 * `VACUUM INTO` writes one consistent snapshot (a read transaction: Carrel
 * keeps writing meanwhile) into a new, compact file. It is written under a
 * temporary name, readable by its owner only (it holds patron data), checked
 * with `PRAGMA integrity_check`, flushed to disk, and only then given its name:
 * a file named `carrel-….db` is always a whole, checked backup. Whether the
 * folder takes it is asked of the file system (the partial file made first),
 * not guessed: /proc has no free space and lets root pass `access()`, yet takes
 * no file; the errno says which it is, and a full disk is the backup's disk.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CarrelError } from '../../core/errors.js';
import { giveOwnerOf } from '../../core/file-owner.js';
import { flushToDisk } from '../../core/flush-to-disk.js';
import { makeFolders, whyNoNewFile } from '../../core/writable.js';
import { type Database, DatabaseError, type StorageBackend } from './database.js';
import { BACKUP_TAKEN_TABLE, integrityProblems, tableCount } from './integrity.js';
import { openDatabase } from './open.js';

/** How a backup the command names is called: `carrel-20261204-213000Z.db` (UTC), so names sort by time. */
const BACKUP_NAME = /^carrel-\d{8}-\d{6}Z\.db$/;

export interface BackupOptions {
  /**
   * Where: a new file's path when it ends in `.db`, else a directory where the backup is named by
   * its time.
   */
  to: string;
  /**
   * Whether that directory (the file's, for a `.db` path) is made when missing (the default):
   * `backups/` beside the database is. One IT typed (`carrel backup --to`) is not: a mistyped
   * path, or a backup disk not mounted, is refused rather than made on the desk's own disk.
   */
  makeFolder?: boolean;
  /** Named backups to keep in that directory, the newest; older ones are removed. All when undefined. */
  keep?: number;
  now?: Date;
  backend?: StorageBackend;
}

export interface BackupResult {
  source: string;
  path: string;
  bytes: number;
  tables: number;
  /** Older backups removed by `keep`. */
  removed: string[];
  /** Whether the backup record beside the database says so (doctor and /metrics read it); why not. */
  recorded: true | { why: string };
}

/**
 * What `carrel backup` leaves beside the database after each backup, wherever the backup went
 * (`--to` another disk): `carrel doctor` and the daemon's `/metrics` read its age from it.
 */
export interface BackupRecord {
  /** When the backup was written (ISO). */
  at: string;
  path: string;
  bytes: number;
}

/** `/var/lib/carrel/carrel.db` → `/var/lib/carrel/carrel.db.last-backup.json`. */
export function backupRecordPath(databasePath: string): string {
  return `${resolve(databasePath)}.last-backup.json`;
}

/** The last backup's record, or undefined when there is none or it cannot be read. */
export function readBackupRecord(databasePath: string): BackupRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(backupRecordPath(databasePath), 'utf8')) as Partial<BackupRecord>;
    if (typeof record.at !== 'string' || Number.isNaN(Date.parse(record.at))) return undefined;
    if (typeof record.path !== 'string' || typeof record.bytes !== 'number') return undefined;
    return { at: record.at, path: record.path, bytes: record.bytes };
  } catch {
    return undefined;
  }
}

export function backUpDatabase(source: string, options: BackupOptions): BackupResult {
  const from = resolve(source);
  if (!existsSync(from))
    throw new CarrelError(
      'backup_no_database',
      `no database at ${from}: Carrel makes it at its first start (is this the desk's storage.path?)`,
    );
  const target = targetOf(resolve(options.to), options.now ?? new Date());
  const directory = dirname(target.path);
  const file = fileInTheWay(directory);
  if (file !== undefined)
    throw new CarrelError(
      'backup_no_folder',
      `${file} is a file, not a folder: a backup goes in a folder (check the path given with --to)`,
    );
  if (options.makeFolder === false && !existsSync(directory))
    throw new CarrelError(
      'backup_no_folder',
      `${directory} does not exist: --to takes a folder that is there, or a new .db file in one; check the path (a typo? the backup disk not mounted?), or make the folder first (mkdir -p ${directory})`,
    );
  const made = makeFolders(directory, 0o700);
  // Run by root beside a desk whose Carrel runs as its own user: what root makes there is that
  // user's, or the nightly backup (as that user) could not write in the folder or prune the file.
  const owner = dirname(from);
  if (made) giveOwnerOf(owner, ...foldersMade(made, directory));
  const partial = join(directory, `.${basename(target.path)}.partial-${process.pid}`);
  rmSync(partial, { force: true });
  const umask = process.umask(0o077);
  try {
    startPartial(partial, directory);
    const db = openDatabase(from, {
      readOnly: true,
      ...(options.backend ? { backend: options.backend } : {}),
    });
    // Read before the copy's snapshot: everything the desk acknowledged before it is in the copy.
    const takenAt = new Date();
    try {
      db.prepare('VACUUM INTO ?').run(partial);
    } catch (error) {
      throw copyFailed(error, directory, from);
    } finally {
      db.close();
    }
    try {
      stampTakenAt(partial, takenAt, options.backend);
    } catch (error) {
      throw copyFailed(error, directory, from);
    }
    const tables = verify(partial, options.backend);
    giveOwnerOf(owner, partial);
    flushToDisk(partial);
    renameSync(partial, target.path);
    flushToDisk(directory);
    const removed = target.named && options.keep !== undefined ? prune(directory, options.keep) : [];
    const bytes = statSync(target.path).size;
    const recorded = record(from, {
      at: (options.now ?? new Date()).toISOString(),
      path: target.path,
      bytes,
    });
    return { source: from, path: target.path, bytes, tables, removed, recorded };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    process.umask(umask);
  }
}

/**
 * Makes the backup's partial file, empty (`VACUUM INTO` fills an empty file): whether the folder
 * takes a file is asked of the file system itself, and its errno says why not.
 */
function startPartial(partial: string, directory: string): void {
  try {
    closeSync(openSync(partial, 'wx', 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw diskFull(directory, undefined);
    const why = whyNoNewFile(directory, code) ?? (error instanceof Error ? error.message : String(error));
    throw new CarrelError('backup_not_writable', `cannot write the backup in ${directory}: ${why}`);
  }
}

/** What a failed copy means for IT: the backup's disk full is that disk's, not the database's. */
function copyFailed(error: unknown, directory: string, database: string): unknown {
  if (!(error instanceof DatabaseError)) return error;
  if (error.code === 'storage_full') return diskFull(directory, database);
  if (error.code === 'storage_unwritable')
    return new CarrelError(
      'backup_not_writable',
      `cannot write the backup in ${directory}: its disk refused the copy (${error.cause instanceof Error ? error.cause.message : error.message}): nothing was left there; check that disk (dmesg), or choose another`,
    );
  return error;
}

function diskFull(directory: string, database: string | undefined): CarrelError {
  const sizes = [
    freeKiB(directory),
    database === undefined ? undefined : `the database is ${kiB(database)} KiB`,
  ]
    .filter((size) => size !== undefined)
    .join(', ');
  return new CarrelError(
    'backup_disk_full',
    `cannot write the backup in ${directory}: its disk is full${sizes ? ` (${sizes})` : ''}: nothing was left there; make room on it, or choose another disk`,
  );
}

function freeKiB(directory: string): string | undefined {
  try {
    const disk = statfsSync(directory);
    return `${Math.floor((disk.bavail * disk.bsize) / 1024)} KiB free`;
  } catch {
    return undefined;
  }
}

function kiB(path: string): number {
  try {
    return Math.ceil(statSync(path).size / 1024);
  } catch {
    return 0;
  }
}

/** A time in a file name, UTC to the second, sorting as it reads: `20261204-213000Z`. */
export function fileStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/\.\d+Z$/, 'Z');
}

function targetOf(to: string, now: Date): { path: string; named: boolean } {
  if ((existsSync(to) && statSync(to).isDirectory()) || !to.endsWith('.db')) {
    const path = join(to, `carrel-${fileStamp(now)}.db`);
    if (existsSync(path)) throw new CarrelError('backup_exists', `${path} exists already`);
    return { path, named: true };
  }
  if (existsSync(to))
    throw new CarrelError('backup_exists', `${to} exists already: a backup never overwrites a file`);
  return { path: to, named: BACKUP_NAME.test(basename(to)) };
}

/**
 * Writes the moment of the snapshot into the copy (BACKUP_TAKEN_TABLE), which is left one file (no
 * -wal beside it). The file's modification time is not that moment: it is later (the copy, its
 * check and flush take time, during which the desk takes more), and a backup copied to another
 * machine (cp, scp, a USB stick) gets the time of the copy.
 */
function stampTakenAt(path: string, takenAt: Date, backend: StorageBackend | undefined): void {
  const copy = openDatabase(path, backend ? { backend } : {});
  try {
    // A database once copied over from a backup (not restored) has one already: this copy's moment is new.
    copy.exec(
      `DROP TABLE IF EXISTS ${BACKUP_TAKEN_TABLE}; CREATE TABLE ${BACKUP_TAKEN_TABLE} (at TEXT NOT NULL)`,
    );
    copy.prepare(`INSERT INTO ${BACKUP_TAKEN_TABLE} (at) VALUES (?)`).run(takenAt.toISOString());
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

/**
 * The moment a backup's snapshot was taken, as `carrel backup` wrote it into the file; undefined for
 * a file that does not say (a backup of an older Carrel, a copy made otherwise).
 */
export function backupTakenAt(backup: Database): Date | undefined {
  try {
    const row = backup.prepare(`SELECT at FROM ${BACKUP_TAKEN_TABLE} LIMIT 1`).get() as
      | { at: string }
      | undefined;
    const at = row === undefined ? Number.NaN : Date.parse(row.at);
    return Number.isNaN(at) ? undefined : new Date(at);
  } catch {
    return undefined;
  }
}

/** The copy opens, is whole, and has Carrel's tables; how many. */
function verify(path: string, backend: StorageBackend | undefined): number {
  const copy = openDatabase(path, { readOnly: true, ...(backend ? { backend } : {}) });
  try {
    const problems = integrityProblems(copy);
    if (problems.length > 0)
      throw new CarrelError(
        'backup_damaged',
        `the copy failed its integrity check: ${problems.slice(0, 3).join('; ')}`,
      );
    return tableCount(copy);
  } finally {
    copy.close();
  }
}

/** The newest backup named by its time (`carrel-….db`) in `directory`, or undefined when there is none. */
export function newestBackupIn(directory: string): string | undefined {
  try {
    const newest = readdirSync(directory)
      .filter((name) => BACKUP_NAME.test(name))
      .sort()
      .at(-1);
    return newest === undefined ? undefined : join(directory, newest);
  } catch {
    return undefined;
  }
}

/** Removes the oldest named backups beyond `keep`; never a file of another name. */
function prune(directory: string, keep: number): string[] {
  const backups = readdirSync(directory)
    .filter((name) => BACKUP_NAME.test(name))
    .sort();
  const old = backups.slice(0, Math.max(0, backups.length - Math.max(1, keep)));
  for (const name of old) rmSync(join(directory, name), { force: true });
  return old.map((name) => join(directory, name));
}

/**
 * The file where `directory` or a folder above it should be (`/etc/hostname` of
 * `/etc/hostname/sub`): no folder can be made there. Undefined when the nearest thing there is a
 * folder, or when it cannot be looked at (the later steps say why).
 */
function fileInTheWay(directory: string): string | undefined {
  for (let path = directory; ; path = dirname(path)) {
    try {
      return statSync(path).isDirectory() ? undefined : path;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(path) === path) return undefined;
    }
  }
}

/** The folders makeFolders made: from the first it made down to `directory`. */
function foldersMade(first: string, directory: string): string[] {
  const folders = [directory];
  for (let folder = directory; folder !== first && dirname(folder) !== folder; ) {
    folder = dirname(folder);
    folders.push(folder);
  }
  return folders;
}

/** Writes the backup record (whole or not at all: a temporary name, then a rename). */
function record(database: string, backup: BackupRecord): true | { why: string } {
  const path = backupRecordPath(database);
  const partial = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(partial, `${JSON.stringify(backup)}\n`, { mode: 0o640 });
    giveOwnerOf(dirname(database), partial);
    renameSync(partial, path);
    return true;
  } catch (error) {
    rmSync(partial, { force: true });
    return { why: error instanceof Error ? error.message : String(error) };
  }
}
