/**
 * `carrel doctor` beside a desk it cannot find: the desk runs on the database doctor checks (it
 * holds carrel.db.lock), but its API is not where doctor looks — it took a port at start
 * (`--http-port 0`), or was started with another `--http-port` than doctor was given. Doctor then
 * checks devices and simulators of its own, which say nothing of the running desk's: it must say
 * so, and how to reach the desk, rather than pass every check as if no Carrel ran.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DoctorCheck,
  runCarrel,
  type SimulatedDeskProcess,
  startSimulatedDesk,
} from '../helpers/carrel-cli.js';

type Check = DoctorCheck;

describe('carrel doctor beside a running desk whose API it does not find', () => {
  let desk: SimulatedDeskProcess;
  let database: string;

  beforeAll(async () => {
    desk = await startSimulatedDesk('carrel-doctor-unfound-desk-');
    database = join(realpathSync(desk.dir), '.carrel-state', 'carrel.db');
  }, 60_000);
  afterAll(async () => desk?.stop());

  it('warns that a Carrel runs on the database, which process, and to give doctor its --http-port', async () => {
    // As the desk was started: --http-port 0, a port chosen at start.
    const run = await runCarrel(
      ['doctor', '--http-port', '0', '--mqtt-port', '0', '--json', '--timeout', '5'],
      {
        cwd: desk.dir,
        env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' },
      },
    );
    const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
    const unfound = checks.find((check) => check.name === 'running Carrel');
    expect(unfound).toEqual({
      name: 'running Carrel',
      status: 'warn',
      detail:
        `a Carrel (process ${desk.pid}) is running on ${database}, but doctor did not find its API: ` +
        'http.port is 0, a port chosen at start. The device checks above are of connections and ' +
        "simulators doctor made itself, not of that desk's",
      hint:
        `run carrel doctor with --http-port N, N the port of the API that Carrel named on start-up ` +
        `(its start-up banner: "API http://…:N/api/v1"; \`ss -ltnp\` lists the ports process ${desk.pid} listens on)`,
    });
    expect(run.code).toBe(0);
  }, 60_000);

  it('says nothing of it when doctor is given the port the desk listens on', async () => {
    const run = await runCarrel(
      ['doctor', '--http-port', new URL(desk.api).port, '--json', '--timeout', '5'],
      { cwd: desk.dir, env: { CARREL_CONFIG: '', STATE_DIRECTORY: '' } },
    );
    const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
    expect(checks.map((check) => check.name)).not.toContain('running Carrel');
    expect(checks.find((check) => check.name === 'device ils')?.detail).toContain('from the running Carrel');
  }, 60_000);
});
