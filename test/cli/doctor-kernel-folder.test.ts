/**
 * `carrel doctor` on a desk whose storage.path lies on a kernel file system (/proc, /sys) — a
 * typo, a path copied from a container's mounts. Such a file system has no blocks: it is not a
 * disk, so it is neither full nor roomy, and it takes no files. Doctor says so in words, as
 * `carrel backup --to /proc` and `carrel start` do, and never calls it a 0-byte disk that is full.
 * The command runs the compiled code in dist/: `npm run build` first.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import { bareDesk, writeConfigFile } from '../helpers/config-file.js';

type Check = DoctorCheck;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-kernel-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function doctorOn(storage: string): Promise<Record<string, Check>> {
  const config = writeConfigFile(dir, `${storage.replaceAll('/', '_')}.json`, bareDesk('desk-7', storage));
  const run = await runCarrel(['doctor', '--config', config, '--json', '--timeout', '5'], {
    env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' },
  });
  expect(run.stderr).toBe('');
  const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
  return Object.fromEntries(checks.map((check) => [check.name, check]));
}

describe('carrel doctor with the state directory on a kernel file system', () => {
  it('says a folder under /proc is not on a disk, not that its disk is full', async () => {
    const checks = await doctorOn('/proc/carrel-state/carrel.db');
    const space = checks['free disk space']!;
    expect(space.detail).toContain('/proc');
    expect(space.detail).toMatch(/not (on )?a disk/);
    expect(`${space.detail} ${space.hint ?? ''}`).not.toMatch(
      /\bfull\b|free space on that disk|0 (B|KiB) free/,
    );
    expect(space.status).not.toBe('pass');
    // The state directory says why in words, not an errno code alone.
    const state = checks['state directory']!;
    expect(state.status).toBe('fail');
    expect(state.detail).toMatch(/takes no new files .*not a disk/);
    expect(state.detail).not.toMatch(/\(ENOENT\)/);
    expect(
      readdirSync('/proc').some((entry) => entry.startsWith('.carrel') || entry === 'carrel-state'),
    ).toBe(false);
  }, 30_000);

  it('says the same of /sys, which reports no blocks either', async () => {
    const space = (await doctorOn('/sys/carrel-state/carrel.db'))['free disk space']!;
    expect(space.detail).toContain('/sys');
    expect(space.detail).toMatch(/not (on )?a disk/);
    expect(`${space.detail} ${space.hint ?? ''}`).not.toMatch(/\bfull\b|0 (B|KiB) free/);
  }, 30_000);
});
