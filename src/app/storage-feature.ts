import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Clock, systemClock } from '../core/clock.js';
import { CarrelError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { makeFolders, ownerOf, thisUser, userName, whyNotWritable } from '../core/writable.js';
import type { Feature } from '../gateway/feature.js';
import { Retention } from '../gateway/retention.js';
import { DeskStatistics, STATISTICS_RETENTION_DAYS } from '../gateway/statistics/index.js';
import {
  checkSchemaVersions,
  type Database,
  DatabaseError,
  type InstanceLock,
  openDatabase,
  takeInstanceLock,
} from '../gateway/storage/index.js';

/**
 * Where the database lives: the configured path, else systemd's
 * STATE_DIRECTORY (/var/lib/carrel), else `.carrel-state/` in the working
 * directory (the simulated desk of a developer).
 */
export function databasePath(configured: string | undefined, env: NodeJS.ProcessEnv): string {
  if (configured) return resolve(configured);
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, 'carrel.db');
  return resolve('.carrel-state', 'carrel.db');
}

/**
 * Where `databasePath` found the database's place: storage.path, systemd's STATE_DIRECTORY, or
 * (neither set) `.carrel-state` in the working directory.
 */
export type DatabasePathSource = 'storage.path' | 'STATE_DIRECTORY' | 'working directory';

export function databasePathSource(
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): DatabasePathSource {
  if (configured) return 'storage.path';
  return env.STATE_DIRECTORY?.split(':')[0] ? 'STATE_DIRECTORY' : 'working directory';
}

/** The Debian package's database, in the state folder it makes (/var/lib/carrel). */
export const PACKAGED_DATABASE_PATH = '/var/lib/carrel/carrel.db';

/**
 * Whether a new database at `path` is what a first start makes: in the default state folder
 * (systemd's STATE_DIRECTORY, `.carrel-state`, or the Debian package's /var/lib/carrel). One made
 * elsewhere, where storage.path put it, may be a typo in the path leaving the desk's own behind.
 */
export function newDatabaseExpected(path: string, source: DatabasePathSource): boolean {
  return source !== 'storage.path' || path === PACKAGED_DATABASE_PATH;
}

/**
 * Whether `path`, where the database file should be, is a folder (storage.path set to the state
 * folder, /var/lib/carrel, not the file in it): what is wrong and what to set, in words; undefined
 * when it is not a folder. SQLite's own words for it are "unable to open database file", and a
 * read-only open's a disk I/O error.
 */
export function databasePathIsFolder(
  path: string,
  source: DatabasePathSource = 'storage.path',
): { said: string; todo: string } | undefined {
  if (path === ':memory:' || !statSync(path, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const file = join(path, 'carrel.db');
  return source === 'storage.path'
    ? {
        said: `${path} is a folder, not the database file: storage.path names the file itself`,
        todo: `set it to ${file}`,
      }
    : {
        said: `${path} is a folder, where the database file should be`,
        todo: `move it aside, or set storage.path to ${file}`,
      };
}

/**
 * Refuses a database path that is a folder (databasePathIsFolder), for whatever would open,
 * back up or put a file there: `carrel restore` would otherwise set the folder, with the
 * database in it, aside as the database it replaced.
 */
export function refuseFolderAsDatabase(path: string, source?: DatabasePathSource): void {
  const folder = databasePathIsFolder(path, source);
  if (folder) throw new CarrelError('database_path_is_folder', `${folder.said} — ${folder.todo}`);
}

/** What to check when a database is new where the desk may have had one: its words for IT. */
export const NEW_DATABASE_HINT =
  'if this desk had a database before (its offline journal, print balances, statistics), storage.path may be wrong: check it for a typo, and stop Carrel before setting it right';

export interface StorageFeatureOptions {
  /** Where the path came from, for what to do when its folder cannot be made; storage.path by default. */
  pathSource?: DatabasePathSource;
  /** The clock the retention timers run on; the system clock by default. */
  clock?: Clock;
  /** Days statistics are kept; STATISTICS_RETENTION_DAYS by default. */
  statisticsRetentionDays?: number;
}

/**
 * Opens the SQLite database on start (so native code loads only when the desk
 * needs it), holding its instance lock so that no second Carrel runs on it, and
 * keeps it within its retention while it is open: statistics
 * older than `storage.statisticsRetentionDays` are pruned at start and daily. (The
 * offline journal's retention belongs to the offline feature.)
 */
export class StorageFeature implements Feature {
  readonly name = 'storage';
  /** Offline circulation and money are journaled here: a desk without it does not start. */
  readonly essential = true;
  private database: Database | undefined;
  private lock: InstanceLock | undefined;
  private retention: Retention | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private readonly options: StorageFeatureOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  get db(): Database {
    if (!this.database) throw new Error('storage is not open');
    return this.database;
  }

  get isOpen(): boolean {
    return this.database !== undefined;
  }

  async start(): Promise<void> {
    refuseFolderAsDatabase(this.path, this.options.pathSource);
    const isNew = this.path !== ':memory:' && !existsSync(this.path);
    if (this.path !== ':memory:') {
      this.makeStateFolder(dirname(this.path));
      this.lock = takeInstanceLock(this.path);
    }
    let database: Database;
    try {
      database = openDatabase(this.path, { logger: this.logger });
      try {
        checkSchemaVersions(database);
      } catch (error) {
        database.close();
        throw error;
      }
    } catch (error) {
      this.releaseLock();
      throw this.saidOfTheDisk(error);
    }
    this.database = database;
    if (isNew) this.sayNewDatabase();
    this.logger.info({ path: this.path, backend: database.backend }, 'database open');
    this.startRetention(database);
  }

  /**
   * A new database whose first writes (its tables, its write-ahead log and shared memory) failed
   * with an I/O error: SQLite says "disk I/O error" where the disk is full, or its folder read-only.
   * Said of the disk where that is why, as openDatabase says it of a failed open.
   */
  private saidOfTheDisk(error: unknown): unknown {
    if (!(error instanceof DatabaseError) || error.code !== 'storage_unwritable') return error;
    const why = whyNotWritable(this.path, { directoryToo: true });
    if (why === undefined) return error;
    return new CarrelError('database_open_failed', `cannot open database ${this.path}: ${why}`, {
      cause: error,
    });
  }

  /**
   * A database made by this start, there being none at its path: a first start says so at info; one
   * where storage.path put it warns, once, that the desk's own may be elsewhere (a typo in the path
   * makes a new, empty one in folders it makes, and the desk would start with nothing said).
   */
  private sayNewDatabase(): void {
    if (newDatabaseExpected(this.path, this.options.pathSource ?? 'storage.path')) {
      this.logger.info(
        { path: this.path },
        `made a new database at ${this.path}: the first start of this desk`,
      );
      return;
    }
    this.logger.warn(
      { path: this.path },
      `made a new, empty database at ${this.path}: there was none there. ${NEW_DATABASE_HINT[0]!.toUpperCase()}${NEW_DATABASE_HINT.slice(1)}`,
    );
  }

  /**
   * Makes the database's folder where it is missing. One this user may not make is said in words
   * with what to set — where the path came from decides what — not as the errno of a mkdir.
   */
  private makeStateFolder(folder: string): void {
    try {
      makeFolders(folder);
    } catch (error) {
      const { code, path } = error as NodeJS.ErrnoException;
      if ((code !== 'EACCES' && code !== 'EPERM') || path === undefined) throw error;
      const user = thisUser();
      const parent = dirname(path);
      const owner = ownerOf(parent);
      const refused = `${user} (the user Carrel runs as) may not write ${parent}${owner === undefined ? '' : `, which belongs to ${userName(owner)}`}`;
      const advice =
        this.options.pathSource === 'working directory'
          ? `. storage.path is not set, nor systemd's STATE_DIRECTORY (the unit sets it; a shell does not), so the database goes in .carrel-state in the folder Carrel was started from: set storage.path to a file in a folder ${user} may write, or start it with systemctl start carrel`
          : `: make it for ${user} (sudo install -d -o ${user} -m 750 ${path}), or set storage.path to a file in a folder ${user} may write`;
      throw new CarrelError(
        'state_folder_not_made',
        `cannot make ${path} for the database: ${refused}${advice}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Statistics that cannot be opened (a newer schema) must not take the database down with them. */
  private startRetention(database: Database): void {
    try {
      const statistics = new DeskStatistics(database, { clock: this.clock });
      this.retention = new Retention({
        name: 'statistics-prune',
        forget: (before) => statistics.prune(before),
        retentionDays: this.options.statisticsRetentionDays ?? STATISTICS_RETENTION_DAYS,
        clock: this.clock,
        logger: this.logger,
      });
      this.retention.start();
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'statistics retention not started');
    }
  }

  async stop(): Promise<void> {
    this.retention?.stop();
    this.retention = undefined;
    this.database?.close();
    this.database = undefined;
    this.releaseLock();
  }

  private releaseLock(): void {
    this.lock?.release();
    this.lock = undefined;
  }
}
