import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, migrate, openDatabase } from '../../src/gateway/storage.js';

let dir: string | undefined;
let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('openDatabase', () => {
  it('opens a file database in WAL mode with synchronous=FULL and a busy timeout', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    db = openDatabase(path.join(dir, 'carrel.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('opens an in-memory database for tests', () => {
    db = openDatabase(':memory:');
    expect(db.memory).toBe(true);
  });

  it('gives a typed error when the file cannot be opened', () => {
    expect(() => openDatabase('/nonexistent-dir/sub/carrel.db')).toThrow(
      expect.objectContaining({ code: 'database_open_failed' }),
    );
  });
});

describe('migrate', () => {
  const steps = ['CREATE TABLE loans (id TEXT)', 'ALTER TABLE loans ADD COLUMN due TEXT'];

  it('applies each step once, per component, and records it', () => {
    db = openDatabase(':memory:');
    migrate(db, 'circulation', steps.slice(0, 1));
    migrate(db, 'circulation', steps);
    migrate(db, 'circulation', steps);
    migrate(db, 'other', ['CREATE TABLE other_things (id TEXT)']);
    const columns = db.prepare('PRAGMA table_info(loans)').all() as Array<{ name: string }>;
    expect(columns.map((c) => c.name)).toEqual(['id', 'due']);
    const versions = db
      .prepare('SELECT component, version FROM schema_migrations ORDER BY component, version')
      .all();
    expect(versions).toEqual([
      { component: 'circulation', version: 1 },
      { component: 'circulation', version: 2 },
      { component: 'other', version: 1 },
    ]);
  });

  it('rolls a failing step back and does not record it', () => {
    db = openDatabase(':memory:');
    expect(() => migrate(db!, 'broken', ['CREATE TABLE a (id TEXT); CREATE TABLE ('])).toThrow();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all();
    expect(tables).toEqual([]);
  });

  it('refuses a database written by a newer Carrel', () => {
    db = openDatabase(':memory:');
    migrate(db, 'circulation', steps);
    expect(() => migrate(db!, 'circulation', steps.slice(0, 1))).toThrow(
      expect.objectContaining({ code: 'database_too_new' }),
    );
  });
});
