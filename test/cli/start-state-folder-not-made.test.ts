/**
 * `carrel start --config /etc/carrel/carrel.yaml` typed by IT outside the systemd unit, as the
 * service's own user: the unit gives Carrel its state directory (STATE_DIRECTORY), a shell does
 * not. With storage.path unset the database would go in `.carrel-state` under the folder Carrel was
 * started from — one its user may not write (`/`, another person's home). And a storage.path in a
 * folder not made yet, under one its user may not write. Carrel says in words what it could not
 * make, why, and what to set — not `EACCES: permission denied, mkdir …` with advice to give the
 * folder it was started from (or /var/lib) to the service's user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARREL_CLI } from '../helpers/carrel-cli.js';
import { tempFolders } from '../helpers/temp-folders.js';

const NOBODY = 65534;
/** Root may run Carrel as nobody, and nobody may run this Node (not one in a folder of root's alone). */
const nobodyCanRun =
  process.getuid?.() === 0 &&
  spawnSync(process.execPath, [CARREL_CLI, '--version'], { uid: NOBODY, gid: NOBODY, timeout: 30_000 })
    .status === 0;
const folder = tempFolders('carrel-state-not-made-');

/** A folder owned by root that others may read and enter, not write: the config lives there. */
function rootsFolder(): string {
  const dir = folder();
  chmodSync(dir, 0o755);
  return dir;
}

function writeConfig(dir: string, storage: Record<string, unknown>): string {
  const configPath = join(dir, 'carrel.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 2,
      site: 'library',
      gateway: 'desk-1',
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'off' },
      storage,
      devices: [],
    }),
  );
  chmodSync(configPath, 0o644);
  return configPath;
}

/** `carrel start --config configPath` as the user nobody, from `cwd`, outside systemd. */
function startAsNobody(configPath: string, cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CARREL_CLI, 'start', '--config', configPath], {
    cwd,
    uid: NOBODY,
    gid: NOBODY,
    env: { ...process.env, STATE_DIRECTORY: '', HOME: cwd, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stderr: `could not run: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe.skipIf(!nobodyCanRun)(
  'carrel start as the service user, outside systemd, where its state folder cannot be made',
  () => {
    it('with storage.path unset, from a folder it may not write: says storage.path is unset and to set it', async () => {
      const dir = rootsFolder();
      const configPath = writeConfig(dir, {});
      const run = await startAsNobody(configPath, dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `carrel: cannot start: storage: cannot make ${join(dir, '.carrel-state')} for the database: ` +
          `nobody (the user Carrel runs as) may not write ${dir}, which belongs to root. storage.path is not set, nor systemd's ` +
          'STATE_DIRECTORY (the unit sets it; a shell does not), so the database goes in .carrel-state ' +
          'in the folder Carrel was started from: set storage.path to a file in a folder nobody may write, ' +
          'or start it with systemctl start carrel\n',
      );
    });

    it('with storage.path in a folder not made yet, under one it may not write: says to make it for its user', async () => {
      const dir = rootsFolder();
      const state = join(dir, 'lib', 'carrel');
      mkdirSync(join(dir, 'lib'), { mode: 0o755 });
      const configPath = writeConfig(dir, { path: join(state, 'carrel.db') });
      const run = await startAsNobody(configPath, dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `carrel: cannot start: storage: cannot make ${state} for the database: ` +
          `nobody (the user Carrel runs as) may not write ${join(dir, 'lib')}, which belongs to root: ` +
          `make it for nobody (sudo install -d -o nobody -m 750 ${state}), or set storage.path to a file in a folder nobody may write\n`,
      );
    });
  },
);
