/**
 * `storage.path` set to a folder — `/var/lib/carrel`, the state folder the example's comment names
 * — instead of the database file in it. The built `carrel start` and `carrel doctor` say that it is
 * a folder, naming the setting and the file to give; not "unable to open database file", nor a
 * disk I/O error that sends IT looking at a healthy disk.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import { tempFolders } from '../helpers/temp-folders.js';

const folder = tempFolders('carrel-storage-folder-');

/** A desk whose storage.path is the folder `state`, which is there. */
function deskOnAFolder(dir: string): { config: string; state: string } {
  const state = join(dir, 'state');
  mkdirSync(state);
  const config = join(dir, 'carrel.json');
  writeFileSync(
    config,
    JSON.stringify({
      version: 2,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'off' },
      storage: { path: state },
      devices: [],
    }),
  );
  return { config, state };
}

describe('storage.path naming a folder', () => {
  it('carrel start refuses it saying it is a folder, and which file to name, exit 1', async () => {
    const dir = folder();
    const { config, state } = deskOnAFolder(dir);
    const run = await runCarrel(['start', '--config', config], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
      stopAfterMs: 30_000,
    });
    expect(run.stopped).not.toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `carrel: cannot start: storage: ${state} is a folder, not the database file: storage.path names the file itself — set it to ${join(state, 'carrel.db')}`,
    );
    expect(run.stderr).not.toContain('unable to open database file');
  });

  it('carrel doctor fails the database check saying the same, not a disk I/O error', async () => {
    const dir = folder();
    const { config, state } = deskOnAFolder(dir);
    const run = await runCarrel(['doctor', '--config', config, '--json'], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(run.code).toBe(1);
    const checks = (JSON.parse(run.stdout) as { checks: DoctorCheck[] }).checks;
    expect(checks.find((check) => check.name === 'database integrity')).toEqual({
      name: 'database integrity',
      status: 'fail',
      detail: `${state} is a folder, not the database file: storage.path names the file itself`,
      hint: `set it to ${join(state, 'carrel.db')}`,
    });
  });
  it('carrel backup and carrel restore refuse it in the same words, and restore leaves the folder and the database in it where they were', async () => {
    const dir = folder();
    const { config, state } = deskOnAFolder(dir);
    // The desk's own database, in the folder storage.path names, and a backup to restore.
    openDatabase(join(state, 'carrel.db')).close();
    const backupFile = join(dir, 'carrel-20261201-023000Z.db');
    openDatabase(backupFile).close();
    const said = `${state} is a folder, not the database file: storage.path names the file itself — set it to ${join(state, 'carrel.db')}`;

    const backup = await runCarrel(['backup', '--config', config], { cwd: dir, env: { CARREL_CONFIG: '' } });
    expect(backup.code).toBe(1);
    expect(backup.stderr).toBe(`carrel: ${said}\n`);

    const restore = await runCarrel(['restore', backupFile, '--config', config], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toBe(`carrel: ${said}\n`);
    expect(statSync(state).isDirectory()).toBe(true);
    expect(readdirSync(state)).toContain('carrel.db');
    expect(readdirSync(dir).filter((name) => name.includes('replaced'))).toEqual([]);
  });
});
