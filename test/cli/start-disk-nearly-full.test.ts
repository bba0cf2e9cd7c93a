/**
 * A new desk whose state folder is on a disk with a few kilobytes left: room for the database file,
 * not for its write-ahead log and shared memory. Carrel does not start (exit 1) and says the disk is
 * full and to make room — not "the database cannot be written (disk I/O error)", which sends IT
 * looking for a failing disk or wrong permissions. The disk is a small tmpfs (root only).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import { writeDaemonConfig } from '../helpers/carrel-daemon.js';
import { tempFolders } from '../helpers/temp-folders.js';

const canMount =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  (() => {
    const probe = join(tmpdir(), `carrel-mount-probe-${process.pid}`);
    mkdirSync(probe, { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (mounted) spawnSync('umount', [probe]);
    rmSync(probe, { recursive: true, force: true });
    return mounted;
  })();

const folder = tempFolders('carrel-disk-nearly-full-');
const mounts: string[] = [];
afterEach(() => {
  for (const mount of mounts.splice(0)) spawnSync('umount', [mount]);
});

/** A 64 KiB disk holding a file that leaves `freeKiB` of it free. */
function nearlyFullDisk(freeKiB: number): string {
  const disk = join(folder(), 'state');
  mkdirSync(disk);
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status).toBe(0);
  mounts.push(disk);
  writeFileSync(join(disk, 'other-files'), Buffer.alloc((64 - freeKiB) * 1024));
  return disk;
}

describe.skipIf(!canMount)('carrel start, its database new on a disk nearly full', () => {
  it.each([16, 32])('with %i KiB free: says the disk is full and to make room, exit 1', async (freeKiB) => {
    const disk = nearlyFullDisk(freeKiB);
    const configPath = writeDaemonConfig(folder(), 'desk-1', { storagePath: join(disk, 'carrel.db') });
    const run = await runCarrel(['start', '--config', configPath], { env: { LOG_LEVEL: 'silent' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^carrel: cannot start: storage: cannot open database ${join(disk, 'carrel.db')}: ` +
          `the disk holding ${disk} is full \\(\\d+ KiB free\\): make room on it\\n$`,
      ),
    );
  });
});
