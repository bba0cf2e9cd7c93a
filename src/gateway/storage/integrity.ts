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

/** How many tables a database has (a backup's summary). */
export function tableCount(db: Database): number {
  return Number(
    (db.prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n,
  );
}
