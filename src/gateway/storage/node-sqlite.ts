import { CarrelError } from '../../core/errors.js';
import { databaseError, type SqlRow, type SqlValue } from './database.js';
import { checkedConnection, type DriverStatement } from './driver-connection.js';
import type { Connection } from './sqlite-database.js';

/**
 * The built-in `node:sqlite` driver (DatabaseSync): no native module to build.
 * Carrel uses it wherever Node has it unflagged and with `isTransaction`
 * (22.16+, 24); on Node 20 there is no `node:sqlite` and better-sqlite3 stands in.
 *
 * Node 22 prints "ExperimentalWarning: SQLite is an experimental feature…" the
 * first time the module loads. That line would land in the journal at every
 * start and tells IT staff nothing, so exactly that warning is held back while
 * the module loads; every other warning goes through.
 */

// @types/node 20 has no node:sqlite: what Carrel uses of it.
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => DatabaseSync;
}
interface DatabaseSync {
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  prepare(sql: string): StatementSync;
  exec(sql: string): void;
  close(): void;
}
interface StatementSync {
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...parameters: unknown[]): object | undefined;
  all(...parameters: unknown[]): object[];
}

let sqliteModule: NodeSqliteModule | undefined;
let unavailable: string | undefined;

/** Why this Node cannot give Carrel `node:sqlite`, or undefined when it can. */
export function nodeSqliteUnavailable(): string | undefined {
  loadNodeSqlite();
  return unavailable;
}

function loadNodeSqlite(): NodeSqliteModule | undefined {
  if (sqliteModule || unavailable) return sqliteModule;
  const loaded = withoutWarning(isSqliteExperimentalWarning, () =>
    process.getBuiltinModule?.('node:sqlite'),
  ) as NodeSqliteModule | undefined;
  if (!loaded) {
    unavailable = `Node ${process.version} has no node:sqlite (it came unflagged in 22.13)`;
    return undefined;
  }
  // isTransaction (22.16, 24.0) is how a rollback knows SQLite has not already rolled back itself.
  const probe = new loaded.DatabaseSync(':memory:');
  const complete = typeof probe.isTransaction === 'boolean';
  probe.close();
  if (!complete) {
    unavailable = `Node ${process.version}'s node:sqlite has no isTransaction (22.16+ and 24 have it)`;
    return undefined;
  }
  sqliteModule = loaded;
  return sqliteModule;
}

export function openNodeSqlite(path: string, options: { readOnly?: boolean } = {}): Connection {
  const sqlite = loadNodeSqlite();
  if (!sqlite) throw new CarrelError('storage_unavailable', unavailable ?? 'node:sqlite is not available');
  let db: DatabaseSync;
  try {
    db = options.readOnly ? new sqlite.DatabaseSync(path, { readOnly: true }) : new sqlite.DatabaseSync(path);
  } catch (error) {
    throw databaseError(error);
  }
  return checkedConnection({
    backend: 'node:sqlite',
    get inTransaction() {
      return db.isOpen && db.isTransaction;
    },
    prepare: (sql) => statement(db.prepare(sql)),
    exec: (sql) => db.exec(sql),
    close() {
      if (db.isOpen) db.close();
    },
  });
}

function statement(prepared: StatementSync): DriverStatement {
  return {
    run: (...parameters) => prepared.run(...parameters),
    get(...parameters) {
      const row = prepared.get(...parameters);
      return row === undefined ? undefined : plainRow(row);
    },
    all: (...parameters) => prepared.all(...parameters).map(plainRow),
  };
}

/**
 * node:sqlite gives rows with a null prototype and blobs as bare Uint8Arrays;
 * better-sqlite3 gives plain objects and Buffers. Ours are better-sqlite3's, so a
 * consumer that calls `bytes.toString('latin1')` gets the same on both.
 */
function plainRow(row: object): SqlRow {
  const plain: SqlRow = {};
  for (const [column, value] of Object.entries(row) as Array<[string, SqlValue]>)
    plain[column] =
      value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  return plain;
}

/** What process.emitWarning is called with (its overloads: a type string, or options with a type). */
type WarningArguments = [
  warning: string | Error,
  typeOrOptions?: string | { type?: string },
  ...rest: unknown[],
];

export function isSqliteExperimentalWarning(...[warning, typeOrOptions]: WarningArguments): boolean {
  const type = typeof typeOrOptions === 'string' ? typeOrOptions : typeOrOptions?.type;
  const message = typeof warning === 'string' ? warning : warning.message;
  const name = typeof warning === 'string' ? type : warning.name;
  return name === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature');
}

/** Runs `load` with the warnings `matches` picks held back; every other warning is emitted as usual. */
export function withoutWarning<T>(matches: (...warning: WarningArguments) => boolean, load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, ...warning: WarningArguments) {
    if (!matches(...warning)) Reflect.apply(emitWarning, this, warning);
  } as unknown as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}
