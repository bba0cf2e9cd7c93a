import { CarrelError } from '../../core/errors.js';
import { betterSqlite3Unavailable, openBetterSqlite3 } from './better-sqlite3.js';
import type { StorageBackend } from './database.js';
import { nodeSqliteUnavailable, openNodeSqlite } from './node-sqlite.js';
import type { Connection } from './sqlite-database.js';

/**
 * Which SQLite driver Carrel runs on: the built-in `node:sqlite` wherever this
 * Node has it (22.16+, 24: nothing native to build or to break on a Node
 * upgrade), else better-sqlite3 (Node 20). Not configurable: both pass the same
 * contract, and the choice follows from the Node that runs Carrel.
 */
export function chooseBackend(): StorageBackend {
  return nodeSqliteUnavailable() === undefined ? 'node:sqlite' : 'better-sqlite3';
}

/** Every backend this Node can run safely: the contract tests run against each. */
export function usableBackends(): StorageBackend[] {
  const usable: StorageBackend[] = [];
  if (nodeSqliteUnavailable() === undefined) usable.push('node:sqlite');
  if (betterSqlite3Unavailable() === undefined) usable.push('better-sqlite3');
  return usable;
}

export function connect(
  backend: StorageBackend,
  path: string,
  options: { readOnly?: boolean } = {},
): Connection {
  switch (backend) {
    case 'node:sqlite':
      return openNodeSqlite(path, options);
    case 'better-sqlite3':
      return openBetterSqlite3(path, options);
    default:
      throw new CarrelError('storage_unavailable', `no SQLite backend called ${String(backend)}`);
  }
}
