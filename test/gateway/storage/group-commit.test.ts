/**
 * Group commit, on every SQLite backend this Node can use: writes asked for in
 * one turn share one transaction (one commit in the log), each in its own
 * savepoint, settled only once committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Database,
  GroupCommit,
  openDatabase,
  usableBackends,
} from '../../../src/gateway/storage/index.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
});

function open(backend: ReturnType<typeof usableBackends>[number]): { db: Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-group-commit-'));
  const file = path.join(dir, 'carrel.db');
  const db = openDatabase(file, { backend });
  db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY, account TEXT NOT NULL, amount INTEGER NOT NULL)');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return { db, file };
}

/** Commits in the write-ahead log since the last checkpoint: frames that end a transaction. */
function logFrames(db: Database): number {
  return Number(db.pragma('wal_checkpoint(PASSIVE)')[0]?.log);
}

describe.each(usableBackends())('GroupCommit on %s', (backend) => {
  it('writes asked for in one turn share one commit; one after another, each has its own', async () => {
    const { db } = open(backend);
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)');
    db.checkpoint();
    await Promise.all(Array.from({ length: 50 }, (_, i) => commits.run(() => insert.run('a', i))));
    const together = logFrames(db);
    db.checkpoint();
    for (let i = 0; i < 50; i++) await commits.run(() => insert.run('b', i));
    const apart = logFrames(db);
    expect(db.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 100 });
    // One page of rows changed: one commit writes it once; fifty commits write it fifty times.
    expect(together).toBeLessThanOrEqual(2);
    expect(apart).toBeGreaterThanOrEqual(50);
  });

  it('a piece reads what an earlier piece of the group wrote; one that throws undoes only its own writes', async () => {
    const { db } = open(backend);
    const commits = new GroupCommit(db);
    const balance = () =>
      (
        db.prepare('SELECT coalesce(sum(amount), 0) AS b FROM entries WHERE account = ?').get('p') as {
          b: number;
        }
      ).b;
    const charge = (amount: number) => () => {
      db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)').run('p', -amount);
      if (balance() < 0) throw new Error(`balance does not cover ${amount}`);
      return balance();
    };
    const results = await Promise.allSettled([
      commits.run(
        () => db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)').run('p', 10).changes,
      ),
      commits.run(charge(4)),
      commits.run(charge(7)),
      commits.run(charge(6)),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      1,
      6,
      'balance does not cover 7',
      0,
    ]);
    expect(db.prepare('SELECT amount FROM entries ORDER BY id').all()).toEqual([
      { amount: 10 },
      { amount: -4 },
      { amount: -6 },
    ]);
  });

  it('settles only after the commit: another connection already reads the write', async () => {
    const { db, file } = open(backend);
    const reader = openDatabase(file, { backend });
    cleanups.push(() => reader.close());
    const commits = new GroupCommit(db);
    const written = commits.run(() =>
      db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)').run('r', 5),
    );
    expect(reader.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 0 });
    await written;
    expect(reader.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 1 });
  });

  it('when the group cannot commit, every piece of it is refused and none of it is written', async () => {
    const { db, file } = open(backend);
    const commits = new GroupCommit(db);
    const pieces = [1, 2, 3].map((n) =>
      commits.run(() => db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)').run('c', n)),
    );
    db.close();
    const results = await Promise.allSettled(pieces);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const again = openDatabase(file, { backend });
    cleanups.push(() => again.close());
    expect(again.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 0 });
  });

  it('a piece that returns a promise is refused: its work would commit half done', async () => {
    const { db } = open(backend);
    const commits = new GroupCommit(db);
    await expect(commits.run(() => Promise.resolve(1))).rejects.toMatchObject({ code: 'database_error' });
    await expect(commits.run(() => 2)).resolves.toBe(2);
  });

  it('a long queue is committed in groups of at most maxGroup, in the order asked', async () => {
    const { db } = open(backend);
    const commits = new GroupCommit(db, { maxGroup: 10 });
    const insert = db.prepare('INSERT INTO entries (account, amount) VALUES (?, ?)');
    db.checkpoint();
    await Promise.all(Array.from({ length: 35 }, (_, i) => commits.run(() => insert.run('g', i))));
    // Four groups (10, 10, 10, 5): four commits, each writing the table's one page.
    const frames = logFrames(db);
    expect(frames).toBeGreaterThanOrEqual(4);
    expect(frames).toBeLessThanOrEqual(8);
    expect(db.prepare('SELECT amount FROM entries ORDER BY id').all()).toEqual(
      Array.from({ length: 35 }, (_, i) => ({ amount: i })),
    );
  });
});
