import type { Statement } from './database.js';

/** What statements are prepared on: a database, or a driver's connection under it. */
export interface StatementSource {
  prepare(sql: string): Statement;
}

/**
 * Each SQL text prepared once on its database and the same statement handed back after: a
 * store's hot paths (a charge, a journal row) never parse their SQL again.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: StatementSource) {}

  get(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Forgets every statement (its database is closing). */
  clear(): void {
    this.statements.clear();
  }
}

/**
 * A store's `sql(text)`: the statement for `text` on `db`, prepared the first time it is asked
 * for (compiling the SQL again for every entry cost more than the entry).
 */
export function statementsOn(db: StatementSource): (text: string) => Statement {
  const cache = new StatementCache(db);
  return (text) => cache.get(text);
}
