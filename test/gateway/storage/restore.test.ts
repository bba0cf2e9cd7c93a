/**
 * A backup put back in place of the desk's database: the database that was
 * there is kept with its log under one name that still opens, the backup is
 * checked before anything is touched, and the offline journal's unsettled work
 * in it is held for staff rather than sent to the ILS again.
 */
import {
  chownSync,
  copyFileSync,
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
import {
  CreditJournal,
  forgetCashCountersAfterRestore,
} from '../../../src/gateway/families/cash-device/credit-journal.js';
import {
  holdUnsettledAfterRestore,
  OfflineJournal,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { backUpDatabase } from '../../../src/gateway/storage/backup.js';
import { type Database, openDatabase, restoreDatabase } from '../../../src/gateway/storage/index.js';
import { migrate } from '../../../src/gateway/storage/migrate.js';

let dir: string;
let live: string;

/** A desk's database: the ledger with `rows` entries (1, 2, 3…), as a Carrel component migrates it. */
function deskDatabase(path: string, rows: number): void {
  const db = openDatabase(path);
  try {
    migrate(db, 'print-accounts', [
      'CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount_minor INTEGER NOT NULL)',
    ]);
    for (let i = 1; i <= rows; i++) db.prepare('INSERT INTO ledger (amount_minor) VALUES (?)').run(i);
  } finally {
    db.close();
  }
}

const ledger = (path: string) => {
  const db = openDatabase(path, { readOnly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n, SUM(amount_minor) AS total FROM ledger').get();
  } finally {
    db.close();
  }
};

/**
 * What a Carrel killed (or a power cut) leaves at `path`: the database file and a -wal holding its
 * latest commits, `more` ledger entries after the first `rows`.
 */
function crashImage(path: string, rows: number, more: number): void {
  const scratch = join(dir, 'scratch.db');
  deskDatabase(scratch, rows);
  const writer: Database = openDatabase(scratch);
  try {
    writer.pragma('wal_autocheckpoint = 0');
    for (let i = rows + 1; i <= rows + more; i++)
      writer.prepare('INSERT INTO ledger (amount_minor) VALUES (?)').run(i);
    copyFileSync(scratch, path);
    copyFileSync(`${scratch}-wal`, `${path}-wal`);
  } finally {
    writer.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-restore-'));
  live = join(dir, 'state', 'carrel.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function backupOf(rows: number): string {
  const source = join(dir, 'then.db');
  deskDatabase(source, rows);
  return backUpDatabase(source, { to: join(dir, 'backups'), now: new Date('2026-12-04T02:30:00Z') }).path;
}

describe('restoreDatabase', () => {
  it('puts the backup in place and keeps the database that was there, with its log, under one name that opens', () => {
    const backup = backupOf(10);
    mkdirSync(join(dir, 'state'));
    crashImage(live, 20, 5);
    expect(statSync(`${live}-wal`).size).toBeGreaterThan(0);

    const result = restoreDatabase(backup, live, { now: new Date('2026-12-04T23:15:00Z') });
    const aside = join(dir, 'state', 'carrel.replaced-20261204-231500Z.db');
    expect(result).toMatchObject({ backup, path: live, tables: 2, setAside: [aside, `${aside}-wal`] });
    // Nothing half-written is left, and no log of the old database beside the new one.
    expect(readdirSync(join(dir, 'state')).sort()).toEqual(
      [
        'carrel.db',
        'carrel.db.lock',
        'carrel.replaced-20261204-231500Z.db',
        'carrel.replaced-20261204-231500Z.db-wal',
      ].sort(),
    );
    expect(ledger(live)).toEqual({ n: 10, total: 55 });
    expect(statSync(live).mode & 0o777).toBe(0o600);
    // The replaced database opens with the commits that were only in its log: nothing of it is lost.
    expect(ledger(aside)).toEqual({ n: 25, total: 325 });
  });

  it('moves the old log away because SQLite would apply it to a backup copied over the database', () => {
    const backup = backupOf(10);
    mkdirSync(join(dir, 'state'));
    crashImage(live, 20, 5);
    // What the backup command's help used to leave to staff, done carelessly: the file copied, its log left.
    copyFileSync(backup, live);
    let seen: unknown;
    try {
      seen = ledger(live);
    } catch (error) {
      seen = error;
    }
    expect(seen).not.toEqual({ n: 10, total: 55 });
  });

  // As `sudo carrel restore`: systemd runs Carrel as its own user, who must open what root wrote.
  it.skipIf(process.getuid?.() !== 0)(
    "run by root, gives the restored database and its lock the state directory's owner",
    () => {
      const backup = backupOf(3);
      mkdirSync(join(dir, 'state'));
      chownSync(join(dir, 'state'), 4321, 4321);
      restoreDatabase(backup, live);
      for (const path of [live, `${live}.lock`])
        expect(statSync(path), path).toMatchObject({ uid: 4321, gid: 4321 });
    },
  );

  it('restores onto a new disk where there is no database yet', () => {
    const backup = backupOf(3);
    const result = restoreDatabase(backup, live);
    expect(result.setAside).toEqual([]);
    expect(ledger(live)).toEqual({ n: 3, total: 6 });
  });

  it("refuses a damaged file, another SQLite file, a newer Carrel's and the database itself, touching nothing", () => {
    mkdirSync(join(dir, 'state'));
    deskDatabase(live, 4);
    const before = readFileSync(live);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
    const other = join(dir, 'other.db');
    const plain = openDatabase(other);
    plain.exec('CREATE TABLE notes (text TEXT)');
    plain.close();
    const newer = join(dir, 'newer.db');
    deskDatabase(newer, 1);
    const db = openDatabase(newer);
    db.prepare(
      "INSERT INTO schema_migrations (component, version, applied_at) VALUES ('print-accounts', 99, 0)",
    ).run();
    db.close();

    expect(() => restoreDatabase(join(dir, 'missing.db'), live)).toThrow(/no backup file at/);
    expect(() => restoreDatabase(garbage, live)).toThrow(/garbage\.db (cannot be read|failed its integrity)/);
    expect(() => restoreDatabase(other, live)).toThrow(/not a Carrel database/);
    expect(() => restoreDatabase(newer, live)).toThrow(/written by a newer Carrel/);
    expect(() => restoreDatabase(live, live)).toThrow(/the desk's database itself/);
    expect(readFileSync(live).equals(before)).toBe(true);
    expect(readdirSync(join(dir, 'state')).filter((name) => !name.startsWith('carrel.db'))).toEqual([]);
  });

  it("forgets the cash devices' event counters, so coins taken after the backup are not read as new", () => {
    const source = join(dir, 'then.db');
    const db = openDatabase(source);
    new CreditJournal(db);
    db.prepare('INSERT INTO cash_counters (device, counter, updated_at) VALUES (?, ?, ?)').run(
      'coins-1',
      41,
      0,
    );
    db.close();
    const backup = backUpDatabase(source, { to: join(dir, 'backups') }).path;
    const result = restoreDatabase(backup, live, {
      adjust: (copy) => ({ cashCountersForgotten: forgetCashCountersAfterRestore(copy) }),
    });
    expect(result.adjusted).toEqual({ cashCountersForgotten: 1 });
    // As at first sight of the device: its counter at the next poll is the starting point.
    expect(new CreditJournal(openDatabase(live)).lastCounter('coins-1')).toBeUndefined();
  });

  it("holds the offline journal's unsettled transactions for staff; what the ILS has stays done", () => {
    const source = join(dir, 'then.db');
    const db = openDatabase(source);
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    const pending = journal.accept({ kind: 'checkin', item: '31000001', terminal: 'desk-1', at: Date.now() });
    const replayed = journal.accept({
      kind: 'checkin',
      item: '31000002',
      terminal: 'desk-1',
      at: Date.now(),
    });
    journal.beginReplay(replayed.id);
    journal.markDone(replayed.id, 'sent');
    db.close();
    const backup = backUpDatabase(source, { to: join(dir, 'backups') }).path;

    const result = restoreDatabase(backup, live, {
      adjust: (copy, takenAt) => ({ offlineHeld: holdUnsettledAfterRestore(copy, takenAt) }),
    });
    expect(result.adjusted).toEqual({ offlineHeld: 1 });
    const restored = new OfflineJournal(openDatabase(live), {
      policy: offlinePolicySchema.parse({ enabled: true }),
    });
    expect(restored.get(pending.id)).toMatchObject({
      state: 'conflict',
      reason: 'restored_from_backup',
      message: expect.stringContaining(`restored from a backup of ${result.backupTakenAt}`),
    });
    expect(restored.get(replayed.id)).toMatchObject({ state: 'done' });
    expect(restored.nextToReplay()).toBeUndefined();
    // Staff looked it up: the ILS never had it, so it is sent.
    expect(restored.resolve(pending.id, 'retry')).toMatchObject({ state: 'pending' });
  });
});
