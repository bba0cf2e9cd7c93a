/**
 * A typo in storage.path (`/var/lib/carel` for `/var/lib/carrel`): Carrel makes the missing folders
 * and a new, empty database there, and the desk would start with no offline journal, print balances
 * or statistics, nothing saying why. It starts (a new desk must come up) but warns once, in words,
 * naming the path; `carrel doctor` says the same of a database missing or new and empty there. A
 * first start in the default state folder (systemd's STATE_DIRECTORY, as the Debian package's
 * /var/lib/carrel) says it made one at info, no warning.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { runCarrel } from '../helpers/carrel-cli.js';
import { startCarrelDaemon, stopDaemon, writeDaemonConfig } from '../helpers/carrel-daemon.js';
import { tempFolders } from '../helpers/temp-folders.js';

const folder = tempFolders('carrel-new-database-');

interface LogLine {
  level: string | number;
  msg: string;
  [key: string]: unknown;
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

const NEW_DATABASE = /new, empty database/;

interface Check {
  name: string;
  status: string;
  detail: string;
  hint?: string;
}

async function doctorIntegrity(configPath: string, cwd: string): Promise<Check> {
  const run = await runCarrel(['doctor', '--config', configPath, '--json', '--timeout', '3'], { cwd });
  const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
  return checks.find((check) => check.name === 'database integrity')!;
}

describe('a new database made at start', () => {
  it('where storage.path has a typo: starts, warns once naming the path, and doctor says the same', async () => {
    const dir = folder();
    const right = join(dir, 'var/lib/carrel/carrel.db');
    const typo = join(dir, 'var/lib/carel/carrel.db');

    // The desk, with its database where it belongs.
    const rightConfig = writeDaemonConfig(dir, 'desk-1', { storagePath: right });
    const first = await startCarrelDaemon(rightConfig);
    await stopDaemon(first.child);
    // A day of the desk's work in it (its statistics): what a desk that ran has.
    const db = openDatabase(right);
    db.prepare(
      "INSERT INTO desk_statistics (quarter, terminal, kind, outcome, count) VALUES (?, 'desk-1', 'checkout', 'ok', 12)",
    ).run(Math.floor(Date.now() / 900_000));
    db.close();
    expect((await doctorIntegrity(rightConfig, dir)).status).toBe('pass');

    // storage.path mistyped: the doctor, run before the restart, says there is no database there.
    const typoConfig = writeDaemonConfig(dir, 'desk-1', { storagePath: typo });
    const missing = await doctorIntegrity(typoConfig, dir);
    expect(missing.status).toBe('warn');
    expect(missing.detail).toContain(`no database at ${typo}`);
    expect(missing.hint).toMatch(/storage\.path may be wrong/);

    // The restart on the typo'd path: it comes up (its banner), and says so once, loudly, in words.
    const second = await startCarrelDaemon(typoConfig);
    expect((await fetch(`${second.api}/api/v1/health`).catch(() => undefined))?.status ?? 200).toBeLessThan(
      500,
    );
    await stopDaemon(second.child);
    const warnings = logLines(second.log()).filter((line) => NEW_DATABASE.test(line.msg));
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning!.level === 'warn' || warning!.level === 40).toBe(true);
    expect(warning!.msg).toContain(typo);
    expect(warning!.msg).toMatch(/if this desk had a database before.*storage\.path may be wrong/i);
    // Nothing of a patron's or of a login in it: the path, and words.
    expect(
      Object.keys(warning!).filter(
        (key) => !['level', 'time', 'service', 'module', 'path', 'msg'].includes(key),
      ),
    ).toEqual([]);

    // A second start on the same path: the database is there now, nothing more is said at start…
    const third = await startCarrelDaemon(typoConfig);
    await stopDaemon(third.child);
    expect(logLines(third.log()).filter((line) => NEW_DATABASE.test(line.msg))).toEqual([]);

    // …but doctor still says the database there is new and empty.
    const empty = await doctorIntegrity(typoConfig, dir);
    expect(empty.status).toBe('warn');
    expect(empty.detail).toMatch(/new and empty/);
    expect(empty.hint).toMatch(/storage\.path may be wrong/);
  }, 60_000);

  it('a first start in the default state folder: one line at info, no warning', async () => {
    const dir = folder();
    const state = join(dir, 'var/lib/carrel');
    const configPath = join(dir, 'carrel.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        version: 2,
        site: 'library',
        gateway: 'desk-1',
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'off' },
        devices: [],
      }),
    );
    const desk = await startCarrelDaemon(configPath, { STATE_DIRECTORY: state, LOG_LEVEL: 'info' });
    await stopDaemon(desk.child);
    const lines = logLines(desk.log());
    expect(lines.filter((line) => NEW_DATABASE.test(line.msg))).toEqual([]);
    const made = lines.filter((line) => /made a new database/.test(line.msg));
    expect(made).toHaveLength(1);
    expect(made[0]!.level === 'info' || made[0]!.level === 30).toBe(true);
    expect(made[0]!.msg).toContain(join(state, 'carrel.db'));
  }, 60_000);
});
