/**
 * `carrel start` whose storage.path lies on a kernel file system (/proc, /sys) — a typo, a path
 * copied from a container's mounts: it stops at once and says the folder takes no files, not that
 * its disk is full nor to give root a folder of root's. The command runs the compiled code in
 * dist/: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareDesk, writeConfigFile } from '../helpers/config-file.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-start-kernel-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `carrel start` on this storage.path: what it wrote to stderr and its exit status (null: killed after 20 s). */
function start(storage: string): Promise<{ stderr: string; status: number | null }> {
  const config = writeConfigFile(dir, `${storage.replaceAll('/', '_')}.json`, bareDesk('desk-7', storage));
  const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--log-level', 'silent'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // A start that never ends is killed (SIGKILL: it may not hear SIGTERM) and fails the test below.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stderr, status });
    });
  });
}

describe('carrel start with its database on a kernel file system', () => {
  it('stops at once when the folder to make is under /proc, saying it takes no files', async () => {
    const run = await start('/proc/carrel-state/carrel.db');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'cannot make /proc/carrel-state: /proc takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk',
    );
  }, 30_000);

  it('says /proc takes no files, for the lock file beside the database', async () => {
    const run = await start('/proc/carrel.db');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'cannot lock /proc/carrel.db.lock: /proc takes no new files (a kernel file system such as /proc or /sys, not a disk): choose a folder on a disk',
    );
    expect(run.stderr).not.toMatch(/full|chown/);
  }, 30_000);

  it.skipIf(process.getuid?.() !== 0)(
    'says /sys refuses even root, not to chown it to root',
    async () => {
      const run = await start('/sys/carrel.db');
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        'cannot lock /sys/carrel.db.lock: /sys refuses new files even to root (a kernel file system such as /proc or /sys, or a folder marked immutable): choose a folder on a disk',
      );
      expect(run.stderr).not.toMatch(/full|chown/);
    },
    30_000,
  );
});
