/**
 * `carrel restore` given the backups folder instead of a backup in it (the tab
 * completion stopped at the folder): it used to say "no backup file at
 * …/backups", as if the backups were gone. It says the path is a folder and
 * names the newest backup there, or that there is none; nothing is touched.
 * The command runs the compiled code in dist/: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
let dir: string;
let configPath: string;
let state: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-restore-folder-'));
  state = path.join(dir, 'state');
  mkdirSync(path.join(state, 'backups'), { recursive: true });
  configPath = path.join(dir, 'carrel.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 2,
      site: 'library',
      gateway: 'desk-7',
      storage: { path: path.join(state, 'carrel.db') },
      devices: [],
    }),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const restore = (backup: string) =>
  spawnSync(process.execPath, [CLI, 'restore', '--config', configPath, backup], { encoding: 'utf8' });

describe('carrel restore given a folder', () => {
  it('says it is a folder and that it holds no backup', () => {
    const folder = path.join(state, 'backups');
    const run = restore(folder);
    expect(run.stderr).toBe(
      `carrel: ${folder} is a folder, not a backup: it holds no carrel-….db backup; name the backup file to restore\n`,
    );
    expect(run.status).toBe(1);
  });

  it('says it is a folder and names the newest backup in it, touching nothing', () => {
    const folder = path.join(state, 'backups');
    for (const name of ['carrel-20261204-023000Z.db', 'carrel-20261205-023000Z.db', 'notes.txt'])
      writeFileSync(path.join(folder, name), 'not opened');
    const run = restore(folder);
    expect(run.stderr).toBe(
      `carrel: ${folder} is a folder, not a backup: name the backup file in it (the newest there is ${path.join(folder, 'carrel-20261205-023000Z.db')})\n`,
    );
    expect(run.status).toBe(1);
    expect(readdirSync(state).sort()).toEqual(['backups']);
  });
});
