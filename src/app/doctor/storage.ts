/**
 * The state directory and the database: can Carrel write where its database
 * lives, is the database whole (`PRAGMA integrity_check`), and is there room on
 * the disk. Doctor writes one empty probe file and removes it; it never
 * creates the directory nor changes the database.
 */
import { existsSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { formatBytes } from '../../core/bytes.js';
import { whyNoNewFile } from '../../core/writable.js';
import { type DoctorCheck, doctorCheck } from '../../gateway/doctor.js';
import { readBackupRecord } from '../../gateway/storage/backup.js';
import {
  checkSchemaVersions,
  type Database,
  holdsNoRecords,
  integrityProblems,
  openDatabase,
} from '../../gateway/storage/index.js';
import type { CarrelConfig } from '../config.js';
import {
  type DatabasePathSource,
  databasePath,
  databasePathIsFolder,
  databasePathSource,
  NEW_DATABASE_HINT,
  newDatabaseExpected,
} from '../storage-feature.js';
import type { RunningCarrel } from './ports.js';

/** Below this the disk is worth a warning; below the second, a failure (the journal must not stop). */
export const FREE_SPACE_WARN_BYTES = 500 * 1024 * 1024;
export const FREE_SPACE_FAIL_BYTES = 50 * 1024 * 1024;
/**
 * Below this the disk is full: the database cannot grow (SQLite adds pages to the file and to its
 * log a few KiB at a time), and the running Carrel refuses what it would have to journal.
 */
export const FULL_DISK_BYTES = 1024 * 1024;

/** What Carrel refuses while its database cannot grow (storage_full), in the library's words. */
const REFUSED_ON_A_FULL_DISK =
  'payments, print-account money, checkouts and checkins, which it must journal before it says yes';

export interface StorageCheckOptions {
  /** The Carrel running beside doctor: its database is checked where it says it is. */
  running?: RunningCarrel | undefined;
  /** The built-in simulated desk: its database holds nothing to keep, so no backup is asked for. */
  simulatedDesk?: boolean;
}

/**
 * The database is where the running Carrel says it opened it, else where a Carrel started here
 * would: `storage.path` (a relative one from this folder), systemd's STATE_DIRECTORY, or
 * `.carrel-state` in this folder — the simulated desk's, which `npm start` makes where it starts.
 */
export function checkStorage(
  config: CarrelConfig,
  env: NodeJS.ProcessEnv,
  options: StorageCheckOptions = {},
): DoctorCheck[] {
  const { running } = options;
  const path = running?.database ?? databasePath(config.storage.path, env);
  const directory = dirname(path);
  const hint = `set storage.path (or systemd's StateDirectory) to a writable directory, or fix ${directory}`;
  const existing = nearestExisting(directory);
  const checks: DoctorCheck[] = [];
  // A running Carrel that does not say where its database is (an older one, or a desk whose
  // tokens doctor has none of with the monitor scope) may have found it from another folder.
  const unsure =
    running !== undefined &&
    running.database === undefined &&
    !(config.storage.path !== undefined && isAbsolute(config.storage.path));
  const whose = running?.database !== undefined ? ` (the running Carrel's, as it says)` : '';
  if (!statSync(existing).isDirectory()) {
    checks.push(
      doctorCheck(
        'state directory',
        'fail',
        `${existing} is a file where a directory should be (for ${path})`,
        hint,
      ),
    );
  } else {
    const probe = `${existing}/.carrel-doctor-${process.pid}`;
    try {
      writeFileSync(probe, '');
      rmSync(probe);
      const found =
        existing === directory
          ? `${directory} is writable${whose}`
          : `${directory} will be made in ${existing}, which is writable`;
      checks.push(
        unsure
          ? doctorCheck(
              'state directory',
              'warn',
              `${found}; it is where a Carrel started in this folder keeps its database, and the running Carrel (${running.url}) did not say where it keeps its own: the checks below may not be of its database`,
              `run carrel doctor in the folder carrel start was started in, or set storage.path to a full path; a Carrel of this version tells doctor where its database is when the configuration has a token with the monitor scope (auth.tokens)`,
            )
          : doctorCheck('state directory', 'pass', found),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Root passes every permission: a folder that refuses root a file is a kernel file system's.
      const words = whyNoNewFile(existing, code);
      const why =
        code === 'EROFS'
          ? 'is on a read-only file system'
          : code === 'EACCES' && process.getuid?.() !== 0
            ? 'is not writable by this user'
            : words !== undefined
              ? `cannot be written: ${words}`
              : `cannot be written (${code ?? (error as Error).message})`;
      checks.push(doctorCheck('state directory', 'fail', `${existing} ${why}`, hint));
    }
  }
  const source = databasePathSource(config.storage.path, env);
  checks.push(integrity(path, newDatabaseExpected(path, source), source));
  checks.push(
    options.simulatedDesk
      ? doctorCheck(
          'database backup',
          'skip',
          'the simulated desk: its database holds only what was tried on its simulators, nothing to keep',
        )
      : backupAge(path, Date.now()),
  );
  checks.push(freeSpace(existing));
  return checks;
}

const RECOVER =
  'stop Carrel, keep a copy of the file, and recover it (sqlite3 carrel.db ".recover") or restore a backup; offline transactions still pending are in it';

/**
 * `firstStartPlace`: the database is in the default state folder, where a missing or empty one is a
 * desk not started yet; elsewhere (storage.path) it may be a typo leaving the desk's own behind.
 */
function integrity(path: string, firstStartPlace: boolean, source: DatabasePathSource): DoctorCheck {
  const name = 'database integrity';
  if (!existsSync(path))
    return firstStartPlace
      ? doctorCheck(name, 'skip', `no database at ${path} yet: Carrel makes it at its first start`)
      : doctorCheck(
          name,
          'warn',
          `no database at ${path}: Carrel will make a new, empty one there at its next start`,
          NEW_DATABASE_HINT,
        );
  const folder = databasePathIsFolder(path, source);
  if (folder) return doctorCheck(name, 'fail', folder.said, folder.todo);
  let db: Database;
  try {
    // Read-only: beside a running Carrel, and never scrubbing or migrating the file.
    db = openDatabase(path, { readOnly: true });
  } catch (error) {
    return doctorCheck(
      name,
      'fail',
      `${path} cannot be opened: ${(error as Error).message}`,
      'check the file, its owner and its directory',
    );
  }
  try {
    const problems = integrityProblems(db);
    if (problems.length === 0) {
      try {
        checkSchemaVersions(db);
      } catch (error) {
        return doctorCheck(
          name,
          'fail',
          (error as Error).message,
          'install the Carrel that wrote it again, or restore a backup this version made',
        );
      }
      if (!firstStartPlace && holdsNoRecords(db))
        return doctorCheck(
          name,
          'warn',
          `${path}: integrity_check ok, but it is new and empty (no offline journal, print balances, payments or statistics)`,
          NEW_DATABASE_HINT,
        );
      return doctorCheck(name, 'pass', `${path}: integrity_check ok (${db.backend})`);
    }
    return doctorCheck(name, 'fail', `${path}: ${problems.slice(0, 3).join('; ')}`, RECOVER);
  } catch (error) {
    // A file damaged badly enough stops the check itself ("database disk image is malformed").
    return doctorCheck(name, 'fail', `${path}: ${(error as Error).message}`, RECOVER);
  } finally {
    db.close();
  }
}

/** A backup older than this is worth a warning: the nightly timer has not run for a night or two. */
export const BACKUP_WARN_AGE_MS = 48 * 3_600_000;

/**
 * The newest backup: the record `carrel backup` leaves beside the database (wherever the backup
 * went), or the newest in `backups/` beside it (its default place, the nightly timer's).
 */
export function backupAge(path: string, now: number): DoctorCheck {
  const name = 'database backup';
  if (!existsSync(path)) return doctorCheck(name, 'skip', 'no database yet');
  const directory = join(dirname(path), 'backups');
  const hint = 'enable the nightly backup (systemctl enable --now carrel-backup.timer) or run carrel backup';
  let newest: { path: string; at: number } | undefined;
  const record = readBackupRecord(path);
  if (record) newest = { path: record.path, at: Date.parse(record.at) };
  try {
    for (const entry of readdirSync(directory)) {
      if (!/^carrel-\d{8}-\d{6}Z\.db$/.test(entry)) continue;
      const at = statSync(join(directory, entry)).mtimeMs;
      if (!newest || at > newest.at) newest = { path: join(directory, entry), at };
    }
  } catch {
    // No backups directory: none made here.
  }
  if (!newest) return doctorCheck(name, 'warn', `no backup of ${path} recorded or in ${directory}`, hint);
  const hours = Math.max(0, Math.round((now - newest.at) / 3_600_000));
  const age = hours < 48 ? `${hours} h old` : `${Math.round(hours / 24)} days old`;
  const detail = `newest ${newest.path}, ${age}`;
  return now - newest.at > BACKUP_WARN_AGE_MS
    ? doctorCheck(name, 'warn', detail, hint)
    : doctorCheck(name, 'pass', detail);
}

function freeSpace(directory: string): DoctorCheck {
  const name = 'free disk space';
  try {
    const stats = statfsSync(directory);
    // A file system of no blocks (/proc, /sys) is not a disk: it has no free space to tell, and
    // its 0 bytes free are not a full disk.
    if (stats.blocks === 0)
      return doctorCheck(
        name,
        'warn',
        `${directory} is not on a disk (its file system has no size, as /proc and /sys have none): no free space to tell`,
        "keep the database in a folder on a disk (storage.path, or systemd's StateDirectory)",
      );
    const free = stats.bavail * stats.bsize;
    if (free < FULL_DISK_BYTES)
      return doctorCheck(
        name,
        'fail',
        `the disk holding ${directory} is full (${formatBytes(free)} free): the database cannot grow, so Carrel refuses ${REFUSED_ON_A_FULL_DISK} (storage_full)`,
        'make room on that disk (old backups, logs, other files there): what Carrel refused was never acknowledged, and is taken when asked again once there is room',
      );
    if (free < FREE_SPACE_FAIL_BYTES)
      return doctorCheck(
        name,
        'fail',
        `the disk holding ${directory} is nearly full (${formatBytes(free)} free): the database has little room left to grow`,
        `make room on that disk before it fills: Carrel then refuses ${REFUSED_ON_A_FULL_DISK}`,
      );
    const detail = `${formatBytes(free)} free on the file system of ${directory}`;
    if (free < FREE_SPACE_WARN_BYTES)
      return doctorCheck(name, 'warn', detail, 'free space on that disk soon');
    return doctorCheck(name, 'pass', detail);
  } catch (error) {
    return doctorCheck(name, 'warn', `cannot tell for ${directory}: ${(error as Error).message}`);
  }
}

function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}
