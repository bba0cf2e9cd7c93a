/**
 * Every component's schema in the database, and how many steps this Carrel knows of each. One
 * list, so that the database can be judged as a whole when it opens: a file a newer Carrel wrote
 * (an upgrade rolled back) is refused before anything runs on it, instead of one component
 * failing at its first use while the rest serve. `migrate()` holds each component to its entry
 * here, so a new step cannot be shipped without it.
 */
import { CarrelError } from '../../core/errors.js';
import type { Database } from './database.js';

export const SCHEMA_VERSIONS: Readonly<Record<string, number>> = {
  'card-issues': 9,
  'cash-credits': 2,
  'device-availability': 2,
  'gate-alarms': 5,
  'gate-visitors': 1,
  'offline-journal': 5,
  payments: 3,
  'print-accounts': 10,
  'print-queue': 2,
  'request-ids': 1,
  statistics: 2,
};

/** Throws `database_too_new` when a component is further on, or unknown, than this Carrel knows. */
export function checkSchemaVersions(db: Database): void {
  const table = db
    .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!table) return;
  const rows = db
    .prepare(
      'SELECT component, MAX(version) AS version FROM schema_migrations GROUP BY component ORDER BY component',
    )
    .all() as Array<{ component: string; version: number }>;
  const newer = rows.filter(({ component, version }) => version > (SCHEMA_VERSIONS[component] ?? 0));
  if (newer.length === 0) return;
  const said = newer.map(({ component, version }) =>
    component in SCHEMA_VERSIONS
      ? `${component} at version ${version}, this Carrel knows ${SCHEMA_VERSIONS[component]}`
      : `${component} (version ${version}), which this Carrel does not know`,
  );
  throw new CarrelError('database_too_new', `${db.path} was written by a newer Carrel: ${said.join('; ')}`);
}
