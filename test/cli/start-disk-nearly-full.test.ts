/**
 * A new desk whose state folder is on a disk with a few kilobytes left: room for the database file,
 * not for its write-ahead log and shared memory. Carrel does not start (exit 1) and says the disk is
 * full and to make room — not "the database cannot be written (disk I/O error)", which sends IT
 * looking for a failing disk or wrong permissions. And a running desk whose disk fills up: it refuses
 * the money and loans it cannot journal in words, lives on, takes them once there is room, and doctor
 * beside it says the disk is full. The disk is a small tmpfs (root only).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';
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

/** A 2 MiB disk for a desk's state folder, empty. */
function smallDisk(): string {
  const disk = join(folder(), 'state');
  mkdirSync(disk);
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]).status).toBe(0);
  mounts.push(disk);
  return disk;
}

describe.skipIf(!canMount)('a running desk whose disk fills up', () => {
  let daemon: CarrelDaemon | undefined;
  afterEach(async () => {
    if (daemon) await killDaemon(daemon.child);
    daemon = undefined;
  });

  it('refuses money and loans it cannot journal (507 storage_full), lives on, and doctor says the disk is full', async () => {
    const disk = smallDisk();
    const configPath = writeDaemonConfig(folder(), 'desk-1', {
      storagePath: join(disk, 'carrel.db'),
      simulators: [{ id: 'ils-sim', kind: 'ils', host: '127.0.0.1', port: 0, httpPort: 0 }],
      devices: [{ ...simulatedIlsDevice(0), transport: { type: 'simulator', simulator: 'ils-sim' } }],
    });
    const desk = await startCarrelDaemon(configPath);
    daemon = desk;
    const post = async (route: string, body: Record<string, unknown>) => {
      const response = await fetch(`${desk.api}/api/v1${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const deposit = (amountMinor: number, requestId: string = randomUUID()) =>
      post('/print/accounts/deposit', { patron: '21000001', amountMinor, currency: 'EUR', requestId });
    const balance = async () =>
      (await post('/print/accounts/find', { patron: '21000001' })).body.statement as { balanceMinor: number };
    expect((await deposit(500)).status).toBe(201);
    await waitForDevice(desk.api, 'ils', 'online');

    // Another program fills the disk.
    const free = statfsSync(disk);
    try {
      writeFileSync(join(disk, 'other-files'), Buffer.alloc(free.bavail * free.bsize));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }

    // What the database still had room for is acknowledged and kept; then each is refused in words.
    let acknowledged = 500;
    let refused: { requestId: string; body: Record<string, unknown> } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const requestId = randomUUID();
      const answer = await deposit(100, requestId);
      if (answer.status === 201) acknowledged += 100;
      else {
        expect(answer.status).toBe(507);
        refused = { requestId, body: answer.body };
      }
    }
    expect(refused?.body).toMatchObject({
      code: 'storage_full',
      detail: expect.stringMatching(/disk .* is full: nothing was written/),
    });
    const checkout = await post('/checkouts', {
      patron: '21000001',
      item: '31000010',
      requestId: randomUUID(),
    });
    expect(checkout.status).toBe(507);
    expect(checkout.body.code).toBe('storage_full');
    expect((await fetch(`${desk.api}/healthz`)).ok).toBe(true);

    // Doctor beside it says the disk is full and what that stops.
    const port = new URL(desk.api).port;
    const run = await runCarrel([
      'doctor',
      '--config',
      configPath,
      '--http-port',
      port,
      '--json',
      '--timeout',
      '5',
    ]);
    const checks = (JSON.parse(run.stdout) as { checks: DoctorCheck[] }).checks;
    expect(checks.find((check) => check.name === 'free disk space')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(`^the disk holding ${disk} is full \\(\\d+ KiB free\\): the database cannot grow`),
      ),
      hint: expect.stringMatching(/make room on that disk/),
    });
    // And the desk's own count: what it refused, and that it has written nothing since.
    expect(checks.find((check) => check.name === 'database writes')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /because the disk was full \(storage_full\), the last \d+ s ago; it has written nothing to its database since/,
      ),
    });
    expect(run.code).toBe(1);

    // Room made: nothing refused was kept, the refused deposit sent again is taken once.
    rmSync(join(disk, 'other-files'));
    expect((await balance()).balanceMinor).toBe(acknowledged);
    expect((await deposit(100, refused!.requestId)).status).toBe(201);
    expect((await balance()).balanceMinor).toBe(acknowledged + 100);
  }, 60_000);
});

/**
 * A desk whose database files may not grow, with room on its disk: a file-size limit on the daemon
 * (as systemd's LimitFSIZE= or a disk quota of the carrel user would set), a view of the disk doctor's
 * shell does not share. The desk refuses what it cannot journal; doctor, whose own look at the disk
 * finds it fine, reads the desk's count of refused writes and says so.
 */
const canLimit = process.platform === 'linux' && spawnSync('prlimit', ['--version']).status === 0;

describe.skipIf(!canLimit)('a running desk that cannot write its database, its disk fine', () => {
  let daemon: CarrelDaemon | undefined;
  afterEach(async () => {
    if (daemon) await killDaemon(daemon.child);
    daemon = undefined;
  });

  it('doctor says the desk has refused writes and has written nothing since, not that all is well', async () => {
    const state = join(folder(), 'state');
    mkdirSync(state);
    const database = join(state, 'carrel.db');
    const configPath = writeDaemonConfig(folder(), 'desk-1', { storagePath: database });
    const desk = await startCarrelDaemon(configPath);
    daemon = desk;
    const deposit = () =>
      fetch(`${desk.api}/api/v1/print/accounts/deposit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          patron: '21000001',
          amountMinor: 100,
          currency: 'EUR',
          requestId: randomUUID(),
        }),
      });
    expect((await deposit()).status).toBe(201);
    // From now on no file of the daemon's may grow past the size of its write-ahead log.
    const limit = Math.max(4096, statSync(`${database}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const limited = spawnSync('prlimit', ['--pid', String(desk.child.pid), `--fsize=${limit}`]);
    expect(limited.status, limited.stderr.toString()).toBe(0);
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const answer = await deposit();
      if (answer.status !== 201) refused = answer;
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { code: string }).code).toBe('storage_unwritable');

    const port = new URL(desk.api).port;
    const run = await runCarrel([
      'doctor',
      '--config',
      configPath,
      '--http-port',
      port,
      '--json',
      '--timeout',
      '5',
    ]);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: DoctorCheck[] };
    // From doctor's shell the folder is writable, the database whole, the disk not full…
    for (const name of ['state directory', 'database integrity', 'free disk space'])
      expect(report.checks.find((check) => check.name === name)?.status).not.toBe('fail');
    // …but the desk could not write it, and doctor says so, with what to look at.
    expect(report.checks.find((check) => check.name === 'database writes')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^the running Carrel \(http:\/\/127\.0\.0\.1:\d+\) had \d+ database writes? refused since it started: \d+ because the database could not be written \(storage_unwritable\), the last \d+ s ago; it has written nothing to its database since/,
      ),
      hint: expect.stringMatching(/read-only/),
    });
    expect(report.ok).toBe(false);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('21000001');
  }, 60_000);
});
