import type { Database } from './database.js';

/**
 * What `PRAGMA integrity_check` finds wrong with a database; empty when it is whole. A file
 * damaged badly enough makes the check itself throw ("database disk image is malformed").
 */
export function integrityProblems(db: Database): string[] {
  const findings = (db.prepare('PRAGMA integrity_check').all() as Array<Record<string, unknown>>).map((row) =>
    String(Object.values(row)[0]),
  );
  return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
}

/**
 * Where a backup keeps the moment of its snapshot (backup.ts): read by `carrel restore`, and dropped
 * from the database it puts in place.
 */
export const BACKUP_TAKEN_TABLE = 'carrel_backup_taken';

/** How many tables of the desk's a database has (a backup's summary): not a backup's own moment. */
export function tableCount(db: Database): number {
  return Number(
    (
      db
        .prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name <> ?")
        .get(BACKUP_TAKEN_TABLE) as { n: number }
    ).n,
  );
}

/**
 * Whether a database holds no record of a desk's: every table but the schema's own bookkeeping is
 * empty — no offline journal, print balances, money or statistics. A database made by a first
 * start, or by a start on a mistyped storage.path.
 */
export function holdsNoRecords(db: Database): boolean {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'",
    )
    .all() as Array<{ name: string }>;
  return tables.every(
    ({ name }) => db.prepare(`SELECT 1 FROM "${name.replaceAll('"', '""')}" LIMIT 1`).get() === undefined,
  );
}
