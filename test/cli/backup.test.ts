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
import {
  type CarrelDaemon,
  killDaemon,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
let dir: string;
let configPath: string;
let database: string;
let daemon: CarrelDaemon | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-backup-cli-'));
  database = path.join(dir, 'state', 'carrel.db');
  configPath = writeDaemonConfig(dir, 'backup-test', { storagePath: database });
});

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
