/**
 * `carrel doctor` run from another folder than the running desk's: the simulated desk (`npm
 * start`) keeps its database in .carrel-state where it was started, and a desk whose storage.path
 * is relative (or unset, under systemd's STATE_DIRECTORY) in a place doctor cannot work out from
 * where it runs. Doctor asks the running desk where its database is (/readyz, told to a caller with
 * the monitor scope only) and checks that one; when the desk does not say, doctor says which
 * directory it checked and that it may not be the desk's. And the simulated desk, whose database
 * holds only what was tried on its simulators, is not asked for a backup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import {
  CARREL_CLI,
  type DoctorCheck,
  runCarrel,
  type SimulatedDeskProcess,
  startSimulatedDesk,
} from '../helpers/carrel-cli.js';
import { until } from '../helpers/until.js';

type Check = DoctorCheck;

let elsewhere: string;
beforeAll(() => {
  // Where IT happens to be when they type carrel doctor: not the desk's folder.
  elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'carrel-doctor-elsewhere-')));
});
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

async function doctor(args: string[], cwd = elsewhere): Promise<Check[]> {
  const run = await runCarrel(['doctor', ...args, '--json', '--timeout', '5'], {
    cwd,
    env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' },
  });
  expect(run.stderr).toBe('');
  return (JSON.parse(run.stdout) as { checks: Check[] }).checks;
}

function check(checks: Check[], name: string): Check {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${checks.map((c) => c.name).join(', ')}`);
  return found;
}

describe('carrel doctor beside the simulated desk, run from another folder', () => {
  let desk: SimulatedDeskProcess;
  let state: string;
  let port: string;

  beforeAll(async () => {
    desk = await startSimulatedDesk('carrel-doctor-state-desk-');
    state = join(realpathSync(desk.dir), '.carrel-state');
    port = new URL(desk.api).port;
  }, 60_000);
  afterAll(async () => desk?.stop());

  it("checks the running desk's database, where the desk says it is, not a .carrel-state of the folder doctor runs in", async () => {
    const checks = await doctor(['--http-port', port]);
    expect(check(checks, 'state directory')).toEqual({
      name: 'state directory',
      status: 'pass',
      detail: `${state} is writable (the running Carrel's, as it says)`,
    });
    expect(check(checks, 'database integrity')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(new RegExp(`^${state}/carrel\\.db: integrity_check ok`)),
    });
    expect(check(checks, 'free disk space').detail).toContain(state);
    expect(readdirSync(elsewhere)).toEqual([]);
  }, 60_000);

  it('does not warn that the simulated desk has no backup: there is nothing to keep', async () => {
    // In the desk's own folder, where the old doctor found its database.
    const checks = await doctor(['--http-port', port], desk.dir);
    expect(check(checks, 'database integrity').status).toBe('pass');
    expect(check(checks, 'database backup')).toEqual({
      name: 'database backup',
      status: 'skip',
      detail: 'the simulated desk: its database holds only what was tried on its simulators, nothing to keep',
    });
    expect(checks.filter((c) => c.status === 'warn').map((c) => c.name)).not.toContain('database backup');
  }, 60_000);
});

describe('carrel doctor beside a configured desk whose storage.path is relative, run from another folder', () => {
  const monitorToken = 'monitor-token-0123456789';
  const kioskToken = 'kiosk-token-0123456789ab';
  let deskDir: string;
  let carrel: ChildProcess;
  let withMonitor: string;
  let kioskOnly: string;
  let http: { host: string; port: number };

  beforeAll(async () => {
    deskDir = realpathSync(mkdtempSync(join(tmpdir(), 'carrel-doctor-relative-desk-')));
    // The desk listens on a port the system gives it (one found free beforehand may be taken by
    // another test's process first); its files are then written with the port it got, as a desk
    // whose configuration names its port, for doctor to find it there.
    http = { host: '127.0.0.1', port: 0 };
    const desk = (tokens: object[]) => ({
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: 'desk-rel',
      http,
      auth: { tokens },
      storage: { path: 'state/carrel.db' },
      mqtt: { mode: 'off' },
      devices: [],
    });
    mkdirSync(join(deskDir, 'etc'));
    withMonitor = join(deskDir, 'etc', 'carrel.json');
    // The same desk, as a copy of its file that has only the kiosk's token would see it.
    kioskOnly = join(deskDir, 'etc', 'kiosk-only.json');
    const writeFiles = () => {
      writeFileSync(
        withMonitor,
        JSON.stringify(
          desk([
            { name: 'kiosk-1', token: kioskToken, scopes: ['kiosk'] },
            { name: 'it-monitoring', token: monitorToken, scopes: ['monitor'] },
          ]),
        ),
      );
      writeFileSync(
        kioskOnly,
        JSON.stringify(desk([{ name: 'kiosk-1', token: kioskToken, scopes: ['kiosk'] }])),
      );
    };
    writeFiles();
    carrel = spawn(
      process.execPath,
      [CARREL_CLI, 'start', '--config', withMonitor, '--log-level', 'silent'],
      {
        cwd: deskDir,
        env: { ...process.env, CARREL_CONFIG: '', STATE_DIRECTORY: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let banner = '';
    carrel.stderr?.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
    });
    await until(async () => /Stop with Ctrl-C/.test(banner) || undefined, 30_000, 'the desk to start');
    const api = /API\s+(http:\/\/\S+)\/api\/v1/.exec(banner)?.[1];
    if (!api) throw new Error(`the desk named no API: ${banner}`);
    http.port = Number(new URL(api).port);
    writeFiles();
  }, 60_000);

  afterAll(async () => {
    if (carrel && carrel.exitCode === null) {
      carrel.kill('SIGTERM');
      await once(carrel, 'exit');
    }
    rmSync(deskDir, { recursive: true, force: true });
  });

  const readyz = async (token?: string) =>
    (await (
      await fetch(`http://127.0.0.1:${http.port}/readyz`, {
        ...(token && { headers: { authorization: `Bearer ${token}` } }),
      })
    ).json()) as { storage?: { database: string } };

  it('the desk tells where its database is to a monitor token only, not to anyone or to a kiosk', async () => {
    expect(await readyz()).not.toHaveProperty('storage');
    expect(await readyz(kioskToken)).not.toHaveProperty('storage');
    expect((await readyz(monitorToken)).storage).toEqual({ database: join(deskDir, 'state', 'carrel.db') });
  });

  it("doctor with the desk's configuration checks the desk's database, not state/ of its own folder", async () => {
    const checks = await doctor(['--config', withMonitor]);
    expect(check(checks, 'state directory')).toEqual({
      name: 'state directory',
      status: 'pass',
      detail: `${join(deskDir, 'state')} is writable (the running Carrel's, as it says)`,
    });
    expect(check(checks, 'database integrity').detail).toMatch(
      new RegExp(`^${join(deskDir, 'state')}/carrel\\.db: integrity_check ok`),
    );
    expect(JSON.stringify(checks)).not.toContain(monitorToken);
  }, 60_000);

  it("when the desk does not say (no monitor token to ask with), doctor says which directory it checked and that it may not be the desk's", async () => {
    const checks = await doctor(['--config', kioskOnly]);
    const state = check(checks, 'state directory');
    expect(state.status).toBe('warn');
    expect(state.detail).toBe(
      `${join(elsewhere, 'state')} will be made in ${elsewhere}, which is writable; it is where a Carrel started in this folder keeps its database, and the running Carrel (http://127.0.0.1:${http.port}) did not say where it keeps its own: the checks below may not be of its database`,
    );
    expect(state.hint).toContain('run carrel doctor in the folder carrel start was started in');
  }, 60_000);
});
