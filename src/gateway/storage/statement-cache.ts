import type { Database, Statement } from './database.js';

/**
 * Each SQL text prepared once on its database and the same statement handed back after: a
 * store's hot paths (a charge, a journal row) never parse their SQL again.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}
