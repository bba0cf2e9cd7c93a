/** The state directory and database as doctor judges them, on real files. */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrelConfig } from '../../../src/app/config.js';
import { backupAge, checkStorage } from '../../../src/app/doctor/storage.js';
import { backUpDatabase } from '../../../src/gateway/storage/backup.js';
import { migrate, openDatabase, SCHEMA_VERSIONS } from '../../../src/gateway/storage/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-storage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function desk(path: string): CarrelConfig {
  return { storage: { path } } as unknown as CarrelConfig;
}

function byName(path: string) {
  return Object.fromEntries(checkStorage(desk(path), {}).map((check) => [check.name, check]));
}

function makeDatabase(path: string): void {
  const db = openDatabase(path);
  db.exec('CREATE TABLE journal (id INTEGER PRIMARY KEY, body TEXT)');
  db.exec('CREATE INDEX journal_body ON journal (body)');
  const insert = db.prepare('INSERT INTO journal (body) VALUES (?)');
  for (let i = 0; i < 2000; i++) insert.run(`transaction ${i} ${'x'.repeat(100)}`);
  db.checkpoint();
  db.close();
}

describe('doctor: state directory and database', () => {
  it('passes a writable directory and a whole database, with the free space', () => {
    const path = join(dir, 'good', 'carrel.db');
    rmSync(join(dir, 'good'), { recursive: true, force: true });
    const before = byName(path);
    expect(before['state directory']).toMatchObject({ status: 'pass' });
    // Where storage.path puts it, a missing database may be a typo in the path: said, not skipped.
    expect(before['database integrity']).toMatchObject({
      status: 'warn',
      hint: expect.stringMatching(/storage\.path may be wrong/),
    });
    expect(before['free disk space']!.detail).toMatch(/(GiB|MiB) free/);
    // Doctor made nothing.
    expect(() => statSync(join(dir, 'good'))).toThrow();
    mkdirSync(join(dir, 'good'));
    makeDatabase(path);
    expect(byName(path)['database integrity']).toMatchObject({ status: 'pass' });
  });

  it("skips a database not made yet in the default state folder (a desk's first start to come)", () => {
    const state = join(dir, 'state-not-started');
    const checks = checkStorage({ storage: {} } as unknown as CarrelConfig, { STATE_DIRECTORY: state });
    expect(checks.find((check) => check.name === 'database integrity')).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/Carrel makes it at its first start/),
    });
  });

  it('fails a database whose pages were overwritten', () => {
    const path = join(dir, 'broken.db');
    makeDatabase(path);
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    // Garbage over the middle pages (the header and schema page are left alone).
    writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const integrity = byName(path)['database integrity']!;
    expect(integrity.status).toBe('fail');
    expect(integrity.hint).toMatch(/recover|backup/);
  });

  it('fails a database a newer Carrel wrote, saying which schema', () => {
    const path = join(dir, 'newer.db');
    makeDatabase(path);
    const db = openDatabase(path);
    migrate(db, 'payments', ['CREATE TABLE p (x)']);
    db.prepare("INSERT INTO schema_migrations VALUES ('payments', 7, 'x')").run();
    db.close();
    expect(byName(path)['database integrity']).toMatchObject({
      status: 'fail',
      detail: `${path} was written by a newer Carrel: payments at version 7, this Carrel knows ${SCHEMA_VERSIONS.payments}`,
      hint: expect.stringContaining('restore a backup'),
    });
  });

  it('warns when the database has no backup beside it, or only an old one', () => {
    const path = join(dir, 'backed', 'carrel.db');
    mkdirSync(join(dir, 'backed'), { recursive: true });
    makeDatabase(path);
    const now = Date.now();
    expect(backupAge(path, now)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^no backup of /),
    });
    const made = backUpDatabase(path, { to: join(dir, 'backed', 'backups') });
    expect(backupAge(path, now)).toMatchObject({ status: 'pass', detail: `newest ${made.path}, 0 h old` });
    expect(backupAge(path, now + 3 * 86_400_000)).toMatchObject({
      status: 'warn',
      detail: `newest ${made.path}, 3 days old`,
      hint: expect.stringContaining('carrel-backup.timer'),
    });
    expect(backupAge(join(dir, 'none', 'carrel.db'), now).status).toBe('skip');
  });

  it('sees a backup kept on another disk (--to) by the record it leaves beside the database', () => {
    const path = join(dir, 'elsewhere', 'carrel.db');
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    makeDatabase(path);
    const now = Date.now();
    const made = backUpDatabase(path, {
      to: join(dir, 'other-disk', 'carrel'),
      now: new Date(now - 5 * 3_600_000),
    });
    expect(made.recorded).toBe(true);
    expect(backupAge(path, now)).toMatchObject({ status: 'pass', detail: `newest ${made.path}, 5 h old` });
    expect(backupAge(path, now + 3 * 86_400_000)).toMatchObject({ status: 'warn' });
  });
});

// A small disk of its own: a tmpfs (root only; CI runs as root).
const mountPoint = join(tmpdir(), `carrel-doctor-small-disk-${process.pid}`);
const mounted =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  (() => {
    mkdirSync(mountPoint, { recursive: true });
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]).status === 0;
  })();
afterAll(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('doctor: the disk of the database', () => {
  it('says a disk nearly full, then full, in words: the database cannot grow, and what Carrel then refuses', () => {
    const path = join(mountPoint, 'carrel.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE journal (id INTEGER PRIMARY KEY, body TEXT)');
    db.prepare('INSERT INTO journal (body) VALUES (?)').run('a checkout taken offline');
    db.close();
    expect(byName(path)['free disk space']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `^the disk holding ${mountPoint} is nearly full \\(\\d+ (KiB|MiB) free\\): the database has little room left to grow$`,
        ),
      ),
      hint: expect.stringMatching(
        /^make room on that disk before it fills: Carrel then refuses payments, print-account money, checkouts and checkins/,
      ),
    });
    const free = statfsSync(mountPoint);
    try {
      writeFileSync(join(mountPoint, 'other-files'), Buffer.alloc(free.bavail * free.bsize));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    expect(byName(path)['free disk space']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(
          `^the disk holding ${mountPoint} is full \\(\\d+ KiB free\\): the database cannot grow, so Carrel refuses payments, print-account money, checkouts and checkins`,
        ),
      ),
      hint: expect.stringMatching(/^make room on that disk/),
    });
  });
});
