import {
  checkParameters,
  type RunResult,
  type SqlValue,
  type Statement,
  withDatabaseErrors,
} from './database.js';
import type { Connection } from './sqlite-database.js';

/**
 * A driver's connection as its adapter binds it (node-sqlite.ts, better-sqlite3.ts): SQLite's
 * own calls, with rows already plain objects. `checkedConnection` adds what both drivers need
 * alike: parameters checked before SQLite sees them, and every error a DatabaseError.
 */
export interface DriverConnection {
  readonly backend: Connection['backend'];
  readonly inTransaction: boolean;
  prepare(sql: string): DriverStatement;
  exec(sql: string): void;
  close(): void;
}

export interface DriverStatement {
  run(...parameters: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...parameters: SqlValue[]): unknown;
  all(...parameters: SqlValue[]): unknown[];
}

export function checkedConnection(driver: DriverConnection): Connection {
  return {
    backend: driver.backend,
    get inTransaction() {
      return driver.inTransaction;
    },
    prepare: (sql) => withDatabaseErrors(() => checkedStatement(driver.prepare(sql))),
    exec: (sql) => withDatabaseErrors(() => driver.exec(sql)),
    close: () => driver.close(),
  };
}

function checkedStatement(prepared: DriverStatement): Statement {
  return {
    run(...parameters): RunResult {
      checkParameters(parameters);
      const result = withDatabaseErrors(() => prepared.run(...parameters));
      return { changes: Number(result.changes), lastInsertRowid: result.lastInsertRowid };
    },
    get(...parameters) {
      checkParameters(parameters);
      return withDatabaseErrors(() => prepared.get(...parameters));
    },
    all(...parameters) {
      checkParameters(parameters);
      return withDatabaseErrors(() => prepared.all(...parameters));
    },
  };
}
