import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CarrelError } from '../core/errors.js';

/** One SQLite database (better-sqlite3): synchronous, so a write is on disk when the call returns. */
export type Database = BetterSqlite3.Database;

/**
 * Opens (creating when needed) the gateway's SQLite database: WAL journal,
 * synchronous=FULL (a committed write survives power loss), a busy timeout for
 * the odd concurrent reader. `':memory:'` gives a private in-memory database
 * for tests. better-sqlite3 is loaded here and only here, so a gateway that
 * needs no storage never loads a native module.
 */
export function openDatabase(path: string, options: { busyTimeoutMs?: number } = {}): Database {
  const DatabaseClass = loadDriver();
  let db: Database;
  try {
    db = new DatabaseClass(path);
  } catch (error) {
    throw new CarrelError('database_open_failed', `cannot open database ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (path !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
  db.pragma('foreign_keys = ON');
  return db;
}

function loadDriver(): typeof BetterSqlite3 {
  try {
    const require = createRequire(import.meta.url);
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new CarrelError(
      'native_module_missing',
      `better-sqlite3 could not be loaded (${messageOf(error)}); reinstall Carrel with its native modules for this Node version.`,
      { cause: error },
    );
  }
}

/**
 * Applies a component's schema steps in order, each once, recording them in
 * `schema_migrations` (component, version). Steps are append-only: never edit a
 * shipped step, add a new one. Each step runs in its own transaction.
 */
export function migrate(db: Database, component: string, steps: readonly string[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  const row = db
    .prepare('SELECT MAX(version) AS version FROM schema_migrations WHERE component = ?')
    .get(component) as { version: number | null } | undefined;
  const current = row?.version ?? 0;
  if (current > steps.length)
    throw new CarrelError(
      'database_too_new',
      `database schema for ${component} is at version ${current}, this Carrel knows ${steps.length}`,
    );
  const record = db.prepare(
    'INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)',
  );
  for (let version = current + 1; version <= steps.length; version++) {
    const step = steps[version - 1]!;
    db.transaction(() => {
      db.exec(step);
      record.run(component, version, new Date().toISOString());
    })();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
