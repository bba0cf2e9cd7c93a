import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseBackend,
  type Database,
  migrate,
  openDatabase,
  type StorageBackend,
  usableBackends,
} from '../../../src/gateway/storage/index.js';

let dir: string | undefined;
let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the backend Carrel chooses', () => {
  it('is node:sqlite wherever this Node has it, better-sqlite3 only where it does not', () => {
    const nodeHasSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const complete = major >= 24 || (major === 22 && minor >= 16);
    expect(chooseBackend()).toBe(nodeHasSqlite && complete ? 'node:sqlite' : 'better-sqlite3');
    expect(usableBackends()).toContain(chooseBackend());
    // better-sqlite3 12 aborts Node 24.19+ from garbage collection: never offered there.
    if (major >= 24) expect(usableBackends()).toEqual(['node:sqlite']);
  });

  it('is the one openDatabase opens when none is named', () => {
    db = openDatabase(':memory:');
    expect(db.backend).toBe(chooseBackend());
  });
});

describe.each(usableBackends())('openDatabase on %s', (backend: StorageBackend) => {
  it('opens a file database in WAL mode, synchronous=FULL, a 5 s busy timeout, foreign keys and secure_delete', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    db = openDatabase(path.join(dir, 'carrel.db'), { backend });
    expect(db.pragmaValue('journal_mode')).toBe('wal');
    expect(db.pragmaValue('synchronous')).toBe(2);
    expect(db.pragmaValue('busy_timeout')).toBe(5000);
    expect(db.pragmaValue('foreign_keys')).toBe(1);
    expect(db.pragmaValue('secure_delete')).toBe(1);
  });

  // The file holds patron ids (payments, the offline journal, card issues): not every user of the
  // machine reads it, whatever the umask of whoever started it (npm start's is 022 most often).
  it('makes a new database, and its WAL and shared-memory files, unreadable to other users', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    const file = path.join(dir, 'carrel.db');
    db = openDatabase(file, { backend });
    db.exec('CREATE TABLE loans (patron TEXT)');
    db.prepare('INSERT INTO loans VALUES (?)').run('21000001');
    for (const made of [file, `${file}-wal`, `${file}-shm`]) {
      expect(statSync(made).mode & 0o007).toBe(0);
      expect(statSync(made).mode & 0o600).toBe(0o600);
    }
  });

  it('takes away what everyone else may do with a database file an older Carrel left readable to all', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
    const file = path.join(dir, 'carrel.db');
    openDatabase(file, { backend }).close();
    for (const made of [file, `${file}-wal`]) {
      if (made.endsWith('-wal')) writeFileSync(made, '');
      chmodSync(made, 0o664);
    }
    db = openDatabase(file, { backend });
    // The group, as IT set it, is left as it was.
    for (const kept of [file, `${file}-wal`]) expect(statSync(kept).mode & 0o777).toBe(0o660);
  });

  it('opens an in-memory database for tests', () => {
    db = openDatabase(':memory:', { backend });
    expect(db.path).toBe(':memory:');
    expect(db.pragmaValue('journal_mode')).toBe('memory');
  });

  it('gives a typed error when the file cannot be opened', () => {
    expect(() => openDatabase('/nonexistent-dir/sub/carrel.db', { backend })).toThrow(
      expect.objectContaining({ code: 'database_open_failed' }),
    );
  });
});

describe.each(usableBackends())('migrate on %s', (backend: StorageBackend) => {
  const steps = ['CREATE TABLE loans (id TEXT)', 'ALTER TABLE loans ADD COLUMN due TEXT'];

  it('applies each step once, per component, and records it', () => {
    db = openDatabase(':memory:', { backend });
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
    db = openDatabase(':memory:', { backend });
    expect(() => migrate(db!, 'broken', ['CREATE TABLE a (id TEXT); CREATE TABLE ('])).toThrow();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all();
    expect(tables).toEqual([]);
  });

  it('refuses a database written by a newer Carrel', () => {
    db = openDatabase(':memory:', { backend });
    migrate(db, 'circulation', steps);
    expect(() => migrate(db!, 'circulation', steps.slice(0, 1))).toThrow(
      expect.objectContaining({ code: 'database_too_new' }),
    );
  });
});

describe.each(usableBackends())('openDatabase readOnly on %s', (backend: StorageBackend) => {
  it('reads an existing file, refuses writes, leaves it as it was, and never creates one', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-ro-'));
    const file = path.join(dir, 'carrel.db');
    const writer = openDatabase(file, { backend });
    writer.exec('CREATE TABLE t (n INTEGER)');
    writer.prepare('INSERT INTO t (n) VALUES (?)').run(7);
    writer.pragma('user_version = 0');
    writer.close();
    db = openDatabase(file, { backend, readOnly: true });
    expect(db.prepare('SELECT n FROM t').all()).toEqual([{ n: 7 }]);
    expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
    expect(() => db!.prepare('INSERT INTO t (n) VALUES (8)').run()).toThrow();
    // Not scrubbed (a read-only open never vacuums nor marks the file).
    expect(Number(db.pragmaValue('user_version'))).toBe(0);
    expect(() => openDatabase(path.join(dir!, 'absent.db'), { backend, readOnly: true })).toThrow();
  });
});
