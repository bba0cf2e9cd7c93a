/**
 * The database judged as a whole when it opens: a file a newer Carrel wrote is refused, naming
 * what is newer; and the list of components is the list of schemas Carrel's stores migrate.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkSchemaVersions,
  migrate,
  openDatabase,
  SCHEMA_VERSIONS,
} from '../../../src/gateway/storage/index.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('schema versions', () => {
  it('lists every component a store migrates, and only those', () => {
    const migrated = new Set<string>();
    for (const file of sources(SRC))
      for (const match of readFileSync(file, 'utf8').matchAll(/\bmigrate\(db, '([a-z-]+)'/g))
        migrated.add(match[1]!);
    expect([...migrated].sort()).toEqual(Object.keys(SCHEMA_VERSIONS).sort());
  });

  it('passes a database this Carrel wrote, and refuses one a newer Carrel wrote, naming what is newer', () => {
    const db = openDatabase(':memory:');
    checkSchemaVersions(db);
    migrate(db, 'request-ids', ['CREATE TABLE one (id TEXT)']);
    checkSchemaVersions(db);
    db.prepare("INSERT INTO schema_migrations VALUES ('request-ids', 2, 'x'), ('loans-cache', 1, 'x')").run();
    expect(() => checkSchemaVersions(db)).toThrow(
      ':memory: was written by a newer Carrel: loans-cache (version 1), which this Carrel does not know; request-ids at version 2, this Carrel knows 1',
    );
    db.close();
  });

  it('will not let a store ship a step the list does not count', () => {
    const db = openDatabase(':memory:');
    expect(() => migrate(db, 'request-ids', ['CREATE TABLE a (x)', 'CREATE TABLE b (x)'])).toThrow(
      /request-ids has 2 steps; .*schema-versions\.ts says 1/,
    );
    db.close();
  });
});
