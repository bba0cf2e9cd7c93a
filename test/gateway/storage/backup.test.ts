/**
 * Backups of the database while it is written: the copy holds what is still in
 * the write-ahead log (a plain copy of carrel.db would not), is its owner's
 * only, never overwrites, and never leaves half a file under a backup's name.
 */
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backUpDatabase } from '../../../src/gateway/storage/backup.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

let dir: string;
let source: string;
let writer: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-backup-'));
  source = join(dir, 'carrel.db');
  writer = openDatabase(source);
  // As the daemon holds it: commits stay in carrel.db-wal until a checkpoint.
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount_minor INTEGER NOT NULL)');
  for (let i = 1; i <= 100; i++) writer.prepare('INSERT INTO ledger (amount_minor) VALUES (?)').run(i);
});

afterEach(() => {
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

const sum = (path: string) => {
  const db = openDatabase(path, { readOnly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n, SUM(amount_minor) AS total FROM ledger').get();
  } finally {
    db.close();
  }
};

describe('backUpDatabase', () => {
  it('copies what is still in the write-ahead log, into a file only its owner reads', () => {
    expect(statSync(`${source}-wal`).size).toBeGreaterThan(0);
    const result = backUpDatabase(source, {
      to: join(dir, 'backups'),
      now: new Date('2026-12-04T21:30:05.123Z'),
    });
    expect(result).toMatchObject({
      source,
      path: join(dir, 'backups', 'carrel-20261204-213005Z.db'),
      tables: 1,
      removed: [],
    });
    expect(statSync(result.path).mode & 0o777).toBe(0o600);
    expect(sum(result.path)).toEqual({ n: 100, total: 5050 });
    // The writer goes on while and after: the backup is the snapshot it took.
    writer.prepare('INSERT INTO ledger (amount_minor) VALUES (?)').run(1000);
    expect(sum(result.path)).toEqual({ n: 100, total: 5050 });
    expect(readdirSync(join(dir, 'backups'))).toEqual(['carrel-20261204-213005Z.db']);
  });

  it('never overwrites a file, and writes to a new one ending in .db', () => {
    const target = join(dir, 'before-upgrade.db');
    writeFileSync(target, 'keep me');
    expect(() => backUpDatabase(source, { to: target })).toThrow(/exists already/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    const other = backUpDatabase(source, { to: join(dir, 'copies', 'before-upgrade.db') });
    expect(sum(other.path)).toEqual({ n: 100, total: 5050 });
  });

  it('keeps the newest named backups and nothing of any other name is touched', () => {
    const backups = join(dir, 'backups');
    mkdirSync(backups);
    writeFileSync(join(backups, 'notes.txt'), 'mine');
    for (const [hour, keep] of [
      [1, undefined],
      [2, 2],
      [3, 2],
    ] as const)
      backUpDatabase(source, { to: backups, keep, now: new Date(Date.UTC(2026, 11, 4, hour)) });
    expect(readdirSync(backups).sort()).toEqual([
      'carrel-20261204-020000Z.db',
      'carrel-20261204-030000Z.db',
      'notes.txt',
    ]);
  });

  // As `sudo carrel backup` on a desk whose Carrel (and nightly backup) runs as its own user.
  it.skipIf(process.getuid?.() !== 0)(
    "run by root, makes its folders and the backup the state directory owner's",
    () => {
      chownSync(dir, 4321, 4321);
      const result = backUpDatabase(source, { to: join(dir, 'backups', 'nightly') });
      for (const path of [join(dir, 'backups'), join(dir, 'backups', 'nightly'), result.path])
        expect(statSync(path), path).toMatchObject({ uid: 4321, gid: 4321 });
    },
  );

  it('says when there is no database, and leaves nothing behind when the source is not one', () => {
    expect(() => backUpDatabase(join(dir, 'nowhere.db'), { to: join(dir, 'backups') })).toThrow(
      /no database at .*nowhere\.db/,
    );
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
    expect(() => backUpDatabase(garbage, { to: join(dir, 'out') })).toThrow();
    expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
  });
});
