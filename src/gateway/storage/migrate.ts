import { CarrelError } from '../../core/errors.js';
import type { Database } from './database.js';
import { SCHEMA_VERSIONS } from './schema-versions.js';

/**
 * Applies a component's schema steps in order, each once, recording them in
 * `schema_migrations` (component, version). Steps are append-only: never edit a
 * shipped step, add a new one. Each step runs in its own transaction.
 */
export function migrate(db: Database, component: string, steps: readonly string[]): void {
  // A step shipped without its count in SCHEMA_VERSIONS would make the next start refuse the file.
  const known = SCHEMA_VERSIONS[component];
  if (known !== undefined && steps.length > known)
    throw new Error(
      `schema ${component} has ${steps.length} steps; src/gateway/storage/schema-versions.ts says ${known}`,
    );
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
    });
  }
}
