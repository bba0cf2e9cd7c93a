/**
 * The storage contract: what every consumer may rely on of a Database, run
 * against every SQLite backend this Node can use (better-sqlite3 on Node 20,
 * node:sqlite on 22.16+ and 24; both where both work). CI runs the suite on
 * Node 20 and on Node 24, so each backend is held to it.
 * The crash tests run children on dist/: `npm run build` first (`npm test` does).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CarrelError, isStorageFault } from '../../../src/core/errors.js';
import {
  type Database,
  DatabaseError,
  instanceLockPath,
  openDatabase,
  type StorageBackend,
  takeInstanceLock,
  usableBackends,
} from '../../../src/gateway/storage/index.js';
import { assertBuilt, builtChild } from '../../helpers/killable-child.js';

const CHILD = builtChild(import.meta.url, 'storage-child');

const backends = usableBackends();

let dirs: string[] = [];
let dbs: Database[] = [];
afterEach(() => {
  for (const db of dbs) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  dbs = [];
});

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-storage-'));
  dirs.push(dir);
  return path.join(dir, 'carrel.db');
}

beforeAll(async () => {
  // The crash tests' children run dist/: it must exist and be no older than its source.
  await assertBuilt(['src/gateway/storage', 'test/gateway/storage/storage-child.ts']);
});

it('this Node has at least one SQLite backend', () => {
  expect(backends.length).toBeGreaterThan(0);
});

describe.each(backends)('Database on %s', (backend: StorageBackend) => {
  function open(file = ':memory:', options: { busyTimeoutMs?: number } = {}): Database {
    const db = openDatabase(file, { backend, ...options });
    dbs.push(db);
    return db;
  }

  function withLoans(file?: string): Database {
    const db = open(file);
    db.exec(`CREATE TABLE loans (n INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL UNIQUE, due INTEGER,
      fine REAL, receipt BLOB)`);
    return db;
  }

  const count = (db: Database) => (db.prepare('SELECT COUNT(*) AS n FROM loans').get() as { n: number }).n;

  it('says which backend it runs on', () => {
    expect(open().backend).toBe(backend);
  });

  it('runs a statement and tells how many rows it changed and the last rowid', () => {
    const db = withLoans();
    const insert = db.prepare('INSERT INTO loans (item) VALUES (?)');
    expect(insert.run('31000004')).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(insert.run('31000005')).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(db.prepare('UPDATE loans SET due = ?').run(1)).toMatchObject({ changes: 2 });
    expect(db.prepare('DELETE FROM loans WHERE item = ?').run('nothing')).toMatchObject({ changes: 0 });
  });

  it('reads rows as plain objects: integers as numbers, reals, text, NULL as null, blobs as Buffers', () => {
    const db = withLoans();
    const due = Date.UTC(2026, 11, 13);
    db.prepare('INSERT INTO loans (item, due, fine, receipt) VALUES (?, ?, ?, ?)').run(
      '31000004',
      due,
      2.5,
      Buffer.from([0x1b, 0x40, 0]),
    );
    db.prepare('INSERT INTO loans (item) VALUES (?)').run('31000005');
    const rows = db.prepare('SELECT item, due, fine, receipt FROM loans ORDER BY n').all() as Array<
      Record<string, unknown>
    >;
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(rows[0]).toMatchObject({ item: '31000004', due, fine: 2.5 });
    expect(Buffer.isBuffer(rows[0]!.receipt)).toBe(true);
    expect((rows[0]!.receipt as Buffer).toString('hex')).toBe('1b4000');
    expect(rows[1]).toEqual({ item: '31000005', due: null, fine: null, receipt: null });
    const one = db.prepare('SELECT item FROM loans WHERE n = ?').get(1);
    expect(Object.getPrototypeOf(one)).toBe(Object.prototype);
  });

  it('gives undefined from get and an empty list from all when no row matches, or the statement gives none', () => {
    const db = withLoans();
    expect(db.prepare('SELECT * FROM loans WHERE item = ?').get('none')).toBeUndefined();
    expect(db.prepare('SELECT * FROM loans').all()).toEqual([]);
    expect(db.prepare("INSERT INTO loans (item) VALUES ('a')").get()).toBeUndefined();
    expect(db.prepare("INSERT INTO loans (item) VALUES ('b')").all()).toEqual([]);
    expect(count(db)).toBe(2);
  });

  it('binds a bigint as an exact 64-bit integer', () => {
    const db = open();
    const row = db.prepare('SELECT CAST(? AS TEXT) AS text, typeof(?) AS type').get(2n ** 63n - 1n, 7n);
    expect(row).toEqual({ text: '9223372036854775807', type: 'integer' });
  });

  it('refuses a parameter SQLite cannot store (undefined, a boolean, an object) with database_error', () => {
    const db = withLoans();
    const insert = db.prepare('INSERT INTO loans (item, due) VALUES (?, ?)');
    for (const bad of [undefined, true, { item: 'x' }, [1]])
      expect(() => insert.run('31000004', bad as never)).toThrow(
        expect.objectContaining({ code: 'database_error' }),
      );
    expect(count(db)).toBe(0);
  });

  it('reports what SQLite refuses as database_error with its message', () => {
    const db = withLoans();
    expect(() => db.prepare('SELECT * FROM nowhere')).toThrow(
      expect.objectContaining({ code: 'database_error', message: expect.stringContaining('no such table') }),
    );
    expect(() => db.exec('INSERT INTO nowhere VALUES (1)')).toThrow(
      expect.objectContaining({ code: 'database_error' }),
    );
    db.prepare('INSERT INTO loans (item) VALUES (?)').run('31000004');
    expect(() => db.prepare('INSERT INTO loans (item) VALUES (?)').run('31000004')).toThrow(
      expect.objectContaining({ code: 'database_error', message: expect.stringContaining('UNIQUE') }),
    );
    // Double quotes name columns, never strings: a misspelt column is an error, not a value.
    expect(() => db.prepare('SELECT "no_such_column" FROM loans').all()).toThrow(
      expect.objectContaining({ code: 'database_error' }),
    );
  });

  it('runs several statements in one exec', () => {
    const db = withLoans();
    db.exec("INSERT INTO loans (item) VALUES ('a'); INSERT INTO loans (item) VALUES ('b');");
    expect(count(db)).toBe(2);
  });

  it('commits what a transaction wrote and returns what its work returned', () => {
    const file = tempFile();
    const db = withLoans(file);
    const insert = db.prepare('INSERT INTO loans (item) VALUES (?)');
    const result = db.transaction(() => {
      expect(db.inTransaction).toBe(true);
      insert.run('a');
      return insert.run('b').lastInsertRowid;
    });
    expect(result).toBe(2);
    expect(db.inTransaction).toBe(false);
    // Another connection sees it: it is committed, not just visible to this one.
    expect(count(open(file))).toBe(2);
  });

  it('leaves nothing of a transaction whose work throws, and rethrows what it threw', () => {
    const db = withLoans();
    db.prepare("INSERT INTO loans (item) VALUES ('kept')").run();
    const thrown = new Error('patron blocked');
    expect(() =>
      db.transaction(() => {
        db.prepare("INSERT INTO loans (item) VALUES ('a')").run();
        db.prepare("UPDATE loans SET due = 1 WHERE item = 'kept'").run();
        throw thrown;
      }, 'immediate'),
    ).toThrow(thrown);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT item, due FROM loans').all()).toEqual([{ item: 'kept', due: null }]);
  });

  it('says the disk is full (storage_full) when SQLite runs out of room, and keeps nothing of the transaction', () => {
    const file = tempFile();
    const db = withLoans(file);
    db.prepare("INSERT INTO loans (item) VALUES ('before')").run();
    // SQLite answers SQLITE_FULL at max_page_count exactly as on a full disk.
    db.pragma(`max_page_count = ${Number(db.pragmaValue('page_count')) + 2}`);
    const insert = db.prepare('INSERT INTO loans (item, receipt) VALUES (?, randomblob(3000))');
    let failure: unknown;
    try {
      db.transaction(() => {
        for (let n = 0; n < 100; n++) insert.run(`item-${n}`);
      }, 'immediate');
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(DatabaseError);
    expect((failure as DatabaseError).code).toBe('storage_full');
    expect((failure as Error).message).toMatch(
      /^the disk holding the database is full: nothing was written \(.*full/,
    );
    expect(isStorageFault(failure)).toBe(true);
    expect(count(db)).toBe(1);
    // What fits still goes in.
    db.prepare("INSERT INTO loans (item) VALUES ('after')").run();
    expect(count(db)).toBe(2);
  });

  it('says the database cannot be written (storage_unwritable) when SQLite may not write', () => {
    const db = withLoans(tempFile());
    db.pragma('query_only = ON');
    const thrown = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return error as DatabaseError;
      }
      throw new Error('it did not throw');
    };
    const failure = thrown(() => db.prepare("INSERT INTO loans (item) VALUES ('x')").run());
    expect(failure.code).toBe('storage_unwritable');
    expect(failure.message).toMatch(/^the database cannot be written: nothing was written \(.*readonly/);
    // Carrel's own mistakes stay database_error.
    expect(thrown(() => db.prepare('SELECT nothing FROM nowhere').all()).code).toBe('database_error');
  });

  it('rolls back a transaction when a statement in it fails', () => {
    const db = withLoans();
    expect(() =>
      db.transaction(() => {
        db.prepare("INSERT INTO loans (item) VALUES ('a')").run();
        db.prepare("INSERT INTO loans (item) VALUES ('a')").run();
      }),
    ).toThrow(expect.objectContaining({ code: 'database_error' }));
    expect(count(db)).toBe(0);
  });

  it('refuses transaction work that returns a promise, and keeps none of it', () => {
    const db = withLoans();
    expect(() =>
      db.transaction(async () => {
        db.prepare("INSERT INTO loans (item) VALUES ('a')").run();
      }),
    ).toThrow(expect.objectContaining({ code: 'database_error' }));
    expect(count(db)).toBe(0);
    expect(db.inTransaction).toBe(false);
  });

  it('makes a transaction inside another a savepoint: its throw undoes only its own work', () => {
    const db = withLoans();
    const insert = db.prepare('INSERT INTO loans (item) VALUES (?)');
    db.transaction(() => {
      insert.run('outer');
      expect(() =>
        db.transaction(() => {
          insert.run('inner');
          throw new Error('inner refused');
        }),
      ).toThrow('inner refused');
      expect(db.inTransaction).toBe(true);
      db.transaction(() => insert.run('inner kept'));
    });
    const items = db.prepare('SELECT item FROM loans ORDER BY n').all() as Array<{ item: string }>;
    expect(items.map((row) => row.item)).toEqual(['outer', 'inner kept']);
  });

  it('takes the write lock at BEGIN for an immediate transaction, at the first write for a deferred one', () => {
    const file = tempFile();
    const db = withLoans(file);
    const other = open(file, { busyTimeoutMs: 0 });
    const otherWrites = () =>
      other.transaction(() => other.exec("INSERT INTO loans (item) VALUES ('other')"));
    db.transaction(() => {
      expect(otherWrites).toThrow(expect.objectContaining({ code: 'database_error' }));
    }, 'immediate');
    db.transaction(() => {
      db.prepare('SELECT COUNT(*) FROM loans').get();
      otherWrites();
    }, 'deferred');
    expect(count(db)).toBe(1);
  });

  it('waits up to its busy timeout for another connection’s write lock', () => {
    const file = tempFile();
    const db = withLoans(file);
    const other = open(file, { busyTimeoutMs: 150 });
    db.transaction(() => {
      const began = performance.now();
      expect(() => other.exec("INSERT INTO loans (item) VALUES ('other')")).toThrow(
        expect.objectContaining({ code: 'database_error', message: expect.stringContaining('locked') }),
      );
      expect(performance.now() - began).toBeGreaterThanOrEqual(100);
    }, 'immediate');
  });

  it('runs relaxed-durability work at synchronous=NORMAL, committed, and goes back to FULL even when it throws', () => {
    const db = withLoans(tempFile());
    expect(db.pragmaValue('synchronous')).toBe(2);
    const levelInside = db.relaxedDurability(() => {
      db.prepare('INSERT INTO loans (item) VALUES (?)').run('31000001');
      return db.pragmaValue('synchronous');
    });
    expect(levelInside).toBe(1);
    expect(db.pragmaValue('synchronous')).toBe(2);
    expect(() =>
      db.relaxedDurability(() => {
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(db.pragmaValue('synchronous')).toBe(2);
    // Another connection sees the write: it was committed, not left in a transaction.
    const other = open(db.path);
    expect(other.prepare('SELECT item FROM loans').all()).toEqual([{ item: '31000001' }]);
    // Inside a transaction the transaction's commit decides; the level stays.
    db.transaction(() => {
      expect(db.relaxedDurability(() => db.pragmaValue('synchronous'))).toBe(2);
    });
  });

  it('answers pragmas', () => {
    const db = open();
    expect(db.pragmaValue('foreign_keys')).toBe(1);
    db.pragma('user_version = 7');
    expect(db.pragma('user_version')).toEqual([{ user_version: 7 }]);
  });

  it('checkpoints the write-ahead log into the file and truncates it to nothing', () => {
    const file = tempFile();
    const db = withLoans(file);
    db.prepare("INSERT INTO loans (item) VALUES ('a')").run();
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(db.checkpoint()).toBe(true);
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(count(open(file))).toBe(1);
    expect(open().checkpoint()).toBe(false);
  });

  it('closes once; a closed database refuses work with database_error', () => {
    const db = withLoans();
    const select = db.prepare('SELECT * FROM loans');
    db.close();
    db.close();
    expect(() => db.prepare('SELECT 1')).toThrow(expect.objectContaining({ code: 'database_error' }));
    expect(() => select.all()).toThrow(expect.objectContaining({ code: 'database_error' }));
    expect(() => db.transaction(() => 1)).toThrow(expect.objectContaining({ code: 'database_error' }));
    expect(db.inTransaction).toBe(false);
  });

  it('keeps every committed write when the writing process is SIGKILLed', async () => {
    const file = tempFile();
    const killAfter = 20 + Math.floor(Math.random() * 180);
    let committed = -1;
    const run = await runChild(['commit', file, backend], (line) => {
      committed = Number(line.split(' ')[1]);
      return committed + 1 >= killAfter;
    });
    expect(run.signal).toBe('SIGKILL');
    const db = open(file);
    expect(db.pragmaValue('integrity_check')).toBe('ok');
    const rows = db.prepare('SELECT n FROM loans ORDER BY n').all() as Array<{ n: number }>;
    // Every acknowledged commit is there (the child may have committed a few more before the kill), in order.
    expect(rows.length).toBeGreaterThanOrEqual(committed + 1);
    expect(rows.map((row) => row.n)).toEqual(rows.map((_, i) => i));
  });

  it('keeps nothing of a transaction the writing process was SIGKILLed in', async () => {
    const file = tempFile();
    const run = await runChild(['hold', file, backend], (line) => line === 'inside');
    expect(run.signal).toBe('SIGKILL');
    const db = open(file);
    expect(db.pragmaValue('integrity_check')).toBe('ok');
    expect(db.prepare('SELECT n, note FROM loans').all()).toEqual([{ n: 0, note: 'before' }]);
  });
});

describe.each(backends)(
  'the instance lock on %s: one Carrel at a time on a database',
  (backend: StorageBackend) => {
    const refusal = (file: string) => {
      try {
        takeInstanceLock(file, backend).release();
      } catch (error) {
        return error;
      }
      return undefined;
    };

    it('refuses a second holder in this process until the first releases it', () => {
      const file = tempFile();
      const first = takeInstanceLock(file, backend);
      expect(first.path).toBe(instanceLockPath(file));
      const refused = refusal(file);
      expect(refused).toBeInstanceOf(CarrelError);
      expect((refused as CarrelError).code).toBe('state_in_use');
      expect((refused as Error).message).toContain(`another Carrel is running on ${file}`);
      expect((refused as Error).message).toContain(`fuser -v ${instanceLockPath(file)}`);
      // Nothing beside the lock file itself, which stays for the next Carrel.
      expect(readdirSync(path.dirname(file))).toEqual(['carrel.db.lock']);
      first.release();
      first.release();
      expect(refusal(file)).toBeUndefined();
    });

    it('leaves the database itself open to a reader beside the holder (carrel doctor)', () => {
      const file = tempFile();
      const db = openDatabase(file, { backend });
      db.exec('CREATE TABLE loans (n INTEGER PRIMARY KEY)');
      db.close();
      const lock = takeInstanceLock(file, backend);
      try {
        const reader = openDatabase(file, { backend, readOnly: true });
        expect(reader.pragmaValue('integrity_check')).toBe('ok');
        reader.close();
      } finally {
        lock.release();
      }
    });

    it('refuses while another process holds it, and is free the moment that process is SIGKILLed', async () => {
      const file = tempFile();
      const child = spawn(process.execPath, [CHILD, 'lock', file, backend], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const closed = new Promise<string | null>((resolve) =>
        child.on('close', (_code, signal) => resolve(signal)),
      );
      try {
        await new Promise<void>((resolve, reject) => {
          createInterface({ input: child.stdout }).on('line', (line) => line === 'locked' && resolve());
          child.on('close', (code) => reject(new Error(`the lock holder exited with ${code}`)));
        });
        expect((refusal(file) as CarrelError | undefined)?.code).toBe('state_in_use');
      } finally {
        child.kill('SIGKILL');
      }
      expect(await closed).toBe('SIGKILL');
      expect(refusal(file)).toBeUndefined();
    });
  },
);

/** Runs the child, SIGKILLing it when `killWhen` says so of a line it printed. */
function runChild(args: string[], killWhen: (line: string) => boolean): Promise<{ signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!killed && killWhen(line)) killed = child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ signal });
      else reject(new Error(`child exited with ${code ?? signal} before it was killed: ${stderr}`));
    });
  });
}
