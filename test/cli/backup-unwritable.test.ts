/**
 * `carrel backup --to` a place it cannot write: it says why in one line, from
 * what the file system answered (no new files there, no permission, no room),
 * and leaves nothing behind — no partial file, no file by the backup's name.
 * Real paths: /proc and /sys, a folder of root's run by another user, and a
 * tmpfs too small for the database (mounted where the machine lets us). The
 * command runs the compiled code in dist/: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/gateway/storage/index.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
let dir: string;
let configPath: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-backup-unwritable-'));
  // Another user (below) reads the configuration and the database: the folders are open to read.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'state'), { mode: 0o755 });
  const database = path.join(dir, 'state', 'carrel.db');
  const db = openDatabase(database);
  db.exec('CREATE TABLE notes (body TEXT)');
  // About 3 MiB: more than the small disk below holds, which has more than a megabyte free.
  for (let i = 0; i < 768; i++) db.prepare('INSERT INTO notes VALUES (?)').run('n'.repeat(4096));
  db.close();
  chmodSync(database, 0o644);
  configPath = path.join(dir, 'carrel.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 2,
      site: 'library',
      gateway: 'desk-7',
      storage: { path: database },
      devices: [],
    }),
  );
  chmodSync(configPath, 0o644);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const backup = (to: string, runAs: string[] = []) =>
  spawnSync(
    runAs.length > 0 ? runAs[0]! : process.execPath,
    [
      ...runAs.slice(1),
      ...(runAs.length > 0 ? [process.execPath] : []),
      CLI,
      'backup',
      '--config',
      configPath,
      '--to',
      to,
    ],
    { encoding: 'utf8' },
  );

/** Files a backup could have left in `folder`: its name, or its partial copy. */
const leftIn = (folder: string) => readdirSync(folder).filter((name) => /carrel-|partial|\.db/.test(name));

describe('carrel backup to a place it cannot write', () => {
  it('says /proc takes no files, not that its disk is full, and leaves nothing', () => {
    for (const to of ['/proc', '/proc/before-upgrade.db']) {
      const run = backup(to);
      expect(run.stderr).toBe(
        'carrel: cannot write the backup in /proc: it takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk\n',
      );
      expect(run.status).toBe(1);
    }
    expect(leftIn('/proc')).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('says /sys refuses even root, not to chown it to root', () => {
    const run = backup('/sys');
    expect(run.stderr).toBe(
      'carrel: cannot write the backup in /sys: it refuses new files even to root (a kernel file system such as /proc or /sys, or a folder marked immutable): choose a folder on a disk\n',
    );
    expect(run.status).toBe(1);
    expect(leftIn('/sys')).toEqual([]);
  });

  // Root may write anywhere the disk lets it: a folder without permission is tried as nobody.
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const canSwitch =
    process.getuid?.() === 0 && spawnSync('setpriv', [...asNobody.slice(1), 'true']).status === 0;

  it.skipIf(!canSwitch)('says who may not write a folder and whose it is, and leaves nothing', () => {
    const folder = path.join(dir, 'roots-backups');
    mkdirSync(folder, { mode: 0o755 });
    const run = backup(folder, asNobody);
    const nobody = spawnSync('id', ['-un', '65534'], { encoding: 'utf8' }).stdout.trim() || 'uid 65534';
    expect(run.stderr).toBe(
      `carrel: cannot write the backup in ${folder}: ${nobody} may not write there, it belongs to root: run the backup as root, or give ${nobody} the folder (chown), or choose another\n`,
    );
    expect(run.status).toBe(1);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('says a folder inside a file is not a folder', () => {
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'not a folder');
    const run = backup(path.join(file, 'nightly'));
    expect(run.stderr).toBe(
      `carrel: ${file} is a file, not a folder: a backup goes in a folder (check the path given with --to)\n`,
    );
    expect(run.status).toBe(1);
  });

  // A disk with too little room: a tmpfs of 2 MiB, where the machine lets us mount one.
  const small = path.join(tmpdir(), `carrel-backup-full-${process.pid}`);
  const mounted = (() => {
    if (process.platform !== 'linux') return false;
    mkdirSync(small, { recursive: true });
    return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]).status === 0;
  })();
  afterAll(() => {
    if (mounted) spawnSync('umount', [small]);
    rmSync(small, { recursive: true, force: true });
  });

  it.skipIf(!mounted)(
    'says the disk it writes to is full, not the database, and leaves no partial copy',
    () => {
      for (const to of [small, path.join(small, 'before-upgrade.db')]) {
        const run = backup(to);
        expect(run.stderr).toMatch(
          new RegExp(
            `^carrel: cannot write the backup in ${small}: its disk is full \\(\\d+ KiB free, the database is \\d+ KiB\\): nothing was left there; make room on it, or choose another disk\\n$`,
          ),
        );
        expect(run.status).toBe(1);
        expect(readdirSync(small)).toEqual([]);
      }
    },
  );
});
