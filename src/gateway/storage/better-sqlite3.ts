import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { CarrelError } from '../../core/errors.js';
import { nativeModuleMissing } from '../../core/native.js';
import { databaseError } from './database.js';
import { checkedConnection, type DriverStatement } from './driver-connection.js';
import type { Connection } from './sqlite-database.js';

/**
 * better-sqlite3 12: Carrel's SQLite on Node 20, which has no `node:sqlite`. An
 * optional dependency, loaded only here and only when chosen.
 *
 * Not used on Node 24 or later: from 24.19 `node::ObjectWrap` registers
 * environment cleanup hooks, and better-sqlite3 before 13 finalizes statements
 * from garbage collection outside any context, which aborts the process
 * (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook).
 * better-sqlite3 13 fixes that but no longer runs on Node 20.
 */

const FIRST_UNSAFE_NODE_MAJOR = 24;

let driver: typeof BetterSqlite3 | undefined;

/** Why better-sqlite3 cannot be Carrel's SQLite on this Node, or undefined when it can. */
export function betterSqlite3Unavailable(): string | undefined {
  if (nodeMajor() >= FIRST_UNSAFE_NODE_MAJOR)
    return `better-sqlite3 12 aborts the process on Node ${process.version} (finalizing statements from garbage collection); Carrel uses node:sqlite there`;
  try {
    // The addon itself loads on the first open: open one to know it matches this Node.
    openBetterSqlite3(':memory:').close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function openBetterSqlite3(path: string, options: { readOnly?: boolean } = {}): Connection {
  if (nodeMajor() >= FIRST_UNSAFE_NODE_MAJOR)
    throw new CarrelError(
      'storage_unavailable',
      betterSqlite3Unavailable() ?? 'better-sqlite3 is not available',
    );
  const Driver = loadDriver();
  let db: BetterSqlite3.Database;
  try {
    db = options.readOnly ? new Driver(path, { readonly: true, fileMustExist: true }) : new Driver(path);
  } catch (error) {
    // An addon built for another Node fails here, not at require.
    if ((error as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED')
      throw nativeModuleMissing('better-sqlite3', 'the SQLite database', error);
    throw databaseError(error);
  }
  return checkedConnection({
    backend: 'better-sqlite3',
    get inTransaction() {
      return db.open && db.inTransaction;
    },
    prepare: (sql) => statement(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  });
}

function loadDriver(): typeof BetterSqlite3 {
  if (driver) return driver;
  try {
    driver = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw nativeModuleMissing('better-sqlite3', 'the SQLite database', error);
  }
  return driver;
}

function statement(prepared: BetterSqlite3.Statement): DriverStatement {
  // node:sqlite lets any statement be run, got or listed; better-sqlite3 wants run() for one that gives no rows.
  if (prepared.reader) return prepared;
  return {
    run: (...parameters) => prepared.run(...parameters),
    get(...parameters) {
      prepared.run(...parameters);
      return undefined;
    },
    all(...parameters) {
      prepared.run(...parameters);
      return [];
    },
  };
}

function nodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}
