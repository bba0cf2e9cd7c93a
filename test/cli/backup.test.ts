/**
 * `carrel backup` beside a running `carrel start`, and the restore its help
 * describes: the print account's money taken before the backup is there after
 * the desk's database was lost and the backup put in its place. The daemon and
 * the command run the compiled code in dist/: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  stopDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { until } from '../helpers/until.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
let dir: string;
let configPath: string;
let database: string;
let daemon: CarrelDaemon | undefined;
/** A folder standing for another disk, where backups are written under load. */
let otherDisk: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-backup-cli-'));
  database = path.join(dir, 'state', 'carrel.db');
  otherDisk = path.join(dir, 'other-disk');
  mkdirSync(otherDisk);
  // Its ILS is never there (a port nothing listens on): loans go to the offline journal.
  configPath = writeDaemonConfig(dir, 'backup-test', deskSettings(database));
});

/**
 * The desk's settings, its database at `storage`: checkouts journaled offline (its ILS on a port
 * nothing listens on), as a desk PC set up alike on another machine has them.
 */
function deskSettings(storage: string): Parameters<typeof writeDaemonConfig>[2] {
  return {
    storagePath: storage,
    devices: [{ ...simulatedIlsDevice(1), connectTimeoutMs: 500 }],
    // One kiosk patron borrows the whole load.
    offline: { enabled: true, checkouts: true, checkins: true, maxCheckoutsPerPatron: 100_000 },
  };
}

afterAll(async () => {
  if (daemon) await killDaemon(daemon.child);
  rmSync(dir, { recursive: true, force: true });
});

async function post(route: string, body: unknown) {
  const response = await fetch(`${daemon!.api}/api/v1${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

const balance = async () =>
  (await post('/print/accounts/find', { patron: '21000001' })).json.statement.balanceMinor as number;

const backup = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'backup', '--config', configPath, ...args], { encoding: 'utf8' });

describe('carrel backup', () => {
  it('backs up a running desk, and the desk restored from it has the money taken before', async () => {
    daemon = await startCarrelDaemon(configPath);
    const deposit = { patron: '21000001', amountMinor: 700, currency: 'EUR', requestId: randomUUID() };
    expect((await post('/print/accounts/deposit', deposit)).status).toBe(201);

    const made = backup('--json');
    expect(made.status, made.stderr).toBe(0);
    const result = JSON.parse(made.stdout) as { path: string; tables: number };
    expect(path.dirname(result.path)).toBe(path.join(dir, 'state', 'backups'));
    expect(path.basename(result.path)).toMatch(/^carrel-\d{8}-\d{6}Z\.db$/);
    expect(result.tables).toBeGreaterThan(5);

    // Money after the backup is not in it.
    expect((await post('/print/accounts/deposit', { ...deposit, requestId: randomUUID() })).status).toBe(201);
    expect(await balance()).toBe(1400);

    // The disk is lost: the database and its log with it. Restored as the help says.
    await killDaemon(daemon.child);
    for (const name of readdirSync(path.dirname(database)))
      if (name.startsWith('carrel.db')) rmSync(path.join(path.dirname(database), name));
    copyFileSync(result.path, database);
    daemon = await startCarrelDaemon(configPath);
    expect(await balance()).toBe(700);
    // The request id of the deposit in the backup is kept with it: sent again, nothing moves.
    expect((await post('/print/accounts/deposit', deposit)).status).toBe(201);
    expect(await balance()).toBe(700);
  }, 60_000);

  it('taken at random moments while the desk is busy, copied to another machine and restored there: everything acknowledged before the moment it names is there, and that desk starts and answers', async () => {
    daemon ??= await startCarrelDaemon(configPath);
    const desk = daemon;
    const send = async (route: string, body: unknown) => {
      const response = await fetch(`${desk.api}/api/v1${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
      return { status: response.status, json: (await response.json()) as any };
    };
    // Kiosks topping up print accounts and lending books (offline: journaled) as fast as the desk
    // answers; each acknowledgement kept with the wall-clock time it came back.
    const deposits: Array<{ patron: string; requestId: string; amountMinor: number; at: number }> = [];
    const loans: Array<{ transaction: string; at: number }> = [];
    let busy = true;
    const depositLoop = async (patron: string) => {
      while (busy) {
        const deposit = { patron, amountMinor: 100 + Math.floor(Math.random() * 900), currency: 'EUR' };
        const requestId = randomUUID();
        const answer = await send('/print/accounts/deposit', { ...deposit, requestId });
        expect(answer.status, JSON.stringify(answer.json)).toBe(201);
        deposits.push({ ...deposit, requestId, at: Date.now() });
      }
    };
    const loanLoop = async () => {
      for (let n = 0; busy; n++) {
        const answer = await send('/checkouts', {
          patron: '21000003',
          item: `3900${String(n).padStart(4, '0')}`,
        });
        expect(answer.json, JSON.stringify(answer.json)).toMatchObject({ ok: true, offline: true });
        loans.push({ transaction: answer.json.transaction.id, at: Date.now() });
      }
    };
    const load = Promise.all([depositLoop('21000001'), depositLoop('21000002'), loanLoop()]);
    const backups: string[] = [];
    try {
      await until(() => (loans.length > 0 && deposits.length > 0 ? true : undefined), 20_000);
      for (let i = 0; i < 2; i++) {
        // A random moment: some more of the load first.
        const more = deposits.length + 1 + Math.floor(Math.random() * 40);
        await until(() => (deposits.length >= more ? true : undefined), 20_000);
        // A file named for each: two backups named by their time within one second would clash
        // (refused, "exists already"), as they did on a fast machine.
        const to = path.join(otherDisk, `busy-${i}.db`);
        const made = await runCarrel(['backup', '--config', configPath, '--to', to, '--json']);
        expect(made.code, made.stderr).toBe(0);
        backups.push((JSON.parse(made.stdout) as { path: string }).path);
        await until(() => (deposits.length >= more + 20 ? true : undefined), 20_000);
      }
    } finally {
      busy = false;
      await load;
    }

    for (const [i, backup] of backups.entries()) {
      // Another machine: the backup copied there (a fresh file, as cp and scp make it), its own state folder.
      const machine = path.join(dir, `machine-${i}`);
      mkdirSync(machine);
      const copy = path.join(machine, path.basename(backup));
      copyFileSync(backup, copy);
      const config = writeDaemonConfig(
        machine,
        'backup-test',
        deskSettings(path.join(machine, 'state', 'carrel.db')),
      );
      const restored = await runCarrel(['restore', copy, '--config', config, '--json']);
      expect(restored.code, restored.stderr).toBe(0);
      const moment = Date.parse((JSON.parse(restored.stdout) as { backupTakenAt: string }).backupTakenAt);
      const before = deposits.filter((deposit) => deposit.at < moment);
      expect(before.length).toBeGreaterThan(0);

      const there = await startCarrelDaemon(config);
      try {
        const ask = async (route: string, body?: unknown) => {
          const response = await fetch(`${there.api}/api/v1${route}`, {
            method: body === undefined ? 'GET' : 'POST',
            ...(body === undefined
              ? {}
              : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
          });
          // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
          return (await response.json()) as any;
        };
        // Every loan acknowledged before the moment is there, whole, held for staff (it may have been replayed since).
        const held = new Set<string>(
          (await ask('/offline/transactions?state=conflict')).transactions.map(
            (transaction: { id: string }) => transaction.id,
          ),
        );
        const missingLoans = loans.filter((loan) => loan.at < moment && !held.has(loan.transaction));
        expect(
          missingLoans,
          `backup ${i}: loans acknowledged before ${new Date(moment).toISOString()}`,
        ).toEqual([]);
        // Every top-up before the moment is there, none after it that was not acknowledged.
        for (const patron of ['21000001', '21000002']) {
          const balance = (await ask('/print/accounts/find', { patron })).statement.balanceMinor as number;
          const sum = (list: typeof deposits) =>
            list
              .filter((deposit) => deposit.patron === patron)
              .reduce((total, deposit) => total + deposit.amountMinor, 0);
          expect(balance, `backup ${i}: ${patron}'s balance`).toBeGreaterThanOrEqual(sum(before));
          expect(balance, `backup ${i}: ${patron}'s balance`).toBeLessThanOrEqual(sum(deposits));
        }
        // The last ones before the moment, sent again with their request ids, are each there once
        // (the balance above holds the rest).
        for (const deposit of before.slice(-30)) {
          const { at: _at, ...again } = deposit;
          const answer = await ask('/print/accounts/deposit', again);
          expect(
            answer.repeated,
            `backup ${i}: deposit acknowledged ${deposit.at - moment} ms before the moment`,
          ).toBe(true);
        }
      } finally {
        await stopDaemon(there.child);
      }
    }
  }, 120_000);

  it('says what is wrong in one line: no database, a file in the way, a bad --keep', () => {
    const elsewhere = path.join(dir, 'other.json');
    writeFileSync(
      elsewhere,
      JSON.stringify({
        version: 2,
        site: 'library',
        gateway: 'nothing-yet',
        storage: { path: path.join(dir, 'never', 'carrel.db') },
        devices: [],
      }),
    );
    const none = spawnSync(process.execPath, [CLI, 'backup', '--config', elsewhere], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^carrel: no database at .*never\/carrel\.db/);
    const target = path.join(dir, 'taken.db');
    writeFileSync(target, 'not mine to overwrite');
    const taken = backup('--to', target);
    expect(taken.status).toBe(1);
    expect(taken.stderr.trim()).toBe(`carrel: ${target} exists already: a backup never overwrites a file`);
    expect(backup('--keep', '0').status).toBe(2);
  });

  it('refuses a --to whose folder is not there (a typo, a backup disk not mounted) in one line, and makes nothing', () => {
    const missing = path.join(dir, 'bakups');
    for (const to of [path.join(missing, 'before-upgrade.db'), path.join(missing, 'nightly')]) {
      const run = backup('--to', to);
      const folder = to.endsWith('.db') ? missing : to;
      expect(run.stderr).toBe(
        `carrel: ${folder} does not exist: --to takes a folder that is there, or a new .db file in one; check the path (a typo? the backup disk not mounted?), or make the folder first (mkdir -p ${folder})\n`,
      );
      expect(run.status).toBe(1);
      expect(existsSync(missing)).toBe(false);
    }
    // The folder made first, as the line says: the backup goes there.
    mkdirSync(missing);
    const made = backup('--to', path.join(missing, 'before-upgrade.db'));
    expect(made.status, made.stderr).toBe(0);
    expect(readdirSync(missing)).toEqual(['before-upgrade.db']);
  });

  it('says a --to inside a file (a file where its folder should be) in one line, not a stack trace', () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'not a folder');
    const inFile = backup('--to', path.join(file, 'x.db'));
    expect(inFile.stderr).toBe(
      `carrel: ${file} is a file, not a folder: a backup goes in a folder (check the path given with --to)\n`,
    );
    expect(inFile.status).toBe(1);
  });

  // Root ignores permission bits: a backup disk mounted read-only is a read-only tmpfs mount.
  const readOnly = path.join(tmpdir(), `carrel-backup-ro-${process.pid}`);
  const mounted = (() => {
    if (process.platform !== 'linux') return false;
    mkdirSync(readOnly, { recursive: true });
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]).status === 0;
  })();
  afterAll(() => {
    if (mounted) spawnSync('umount', [readOnly]);
    rmSync(readOnly, { recursive: true, force: true });
  });

  it.skipIf(!mounted)(
    'says a --to on a disk mounted read-only is read-only, not to chown a folder it owns',
    () => {
      const run = backup('--to', readOnly);
      expect(run.stderr).toBe(
        `carrel: cannot write the backup in ${readOnly}: it is on a read-only file system: mount it read-write (mount -o remount,rw), or use a folder on another disk\n`,
      );
      expect(run.status).toBe(1);
    },
  );

  it('says a file is in the way of a --to folder under it, not to mkdir -p what cannot be made', () => {
    const file = path.join(dir, 'hostname');
    writeFileSync(file, 'desk-7\n');
    // A folder under the file, and a new .db file two folders under it: neither can ever be made.
    for (const to of [path.join(file, 'sub'), path.join(file, 'nightly', 'before-upgrade.db')]) {
      const run = backup('--to', to);
      expect(run.stderr).toBe(
        `carrel: ${file} is a file, not a folder: a backup goes in a folder (check the path given with --to)\n`,
      );
      expect(run.status).toBe(1);
    }
  });
});
