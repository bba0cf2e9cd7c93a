/**
 * `--mqtt-port` moves the broker Carrel runs itself. On a desk that dials the library's broker
 * (mqtt.mode external) or has MQTT off, there is none to move: IT typing `carrel start --mqtt-port
 * 1884` there would wait for a broker on 1884 that never comes, so carrel start and carrel doctor
 * refuse it in words (exit 2) instead of starting, or checking, as if it had not been given.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { CARREL_CLI, type CarrelRun } from '../helpers/carrel-cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-port-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deskFile(name: string, mqtt: object): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: name,
      http: { host: '127.0.0.1', port: 0 },
      storage: { path: join(dir, name, 'carrel.db') },
      mqtt,
      devices: [],
    }),
  );
  return file;
}

/** `carrel …` to its end, or stopped after 15 s: a desk that started anyway is the failure shown. */
function carrel(args: string[]): Promise<CarrelRun & { startedAnyway: boolean }> {
  const child = spawn(process.execPath, [CARREL_CLI, ...args], {
    cwd: dir,
    env: { ...process.env, CARREL_CONFIG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let startedAnyway = false;
  const timer = setTimeout(() => {
    startedAnyway = true;
    child.kill('SIGTERM');
  }, 15_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, startedAnyway });
    }),
  );
}

describe('--mqtt-port on a desk without a broker of its own', () => {
  const external = () =>
    deskFile('external', { mode: 'external', url: 'mqtts://desk-7:s3cret@broker.library.example:8883' });
  const externalSaid =
    "carrel: --mqtt-port moves the MQTT broker Carrel runs itself (mqtt.mode embedded), and this desk dials an external broker (mqtt.mode external, at mqtts://broker.library.example:8883): leave --mqtt-port out; that broker's port is the one in mqtt.url\n";

  it('carrel start refuses it for an external broker, says why in one line and starts nothing', async () => {
    const run = await carrel([
      'start',
      '--config',
      external(),
      '--mqtt-port',
      '1884',
      '--log-level',
      'silent',
    ]);
    expect(run.startedAnyway).toBe(false);
    expect(run.stderr).toBe(externalSaid);
    expect(run.stderr).not.toContain('s3cret');
    expect(run.code).toBe(2);
  }, 30_000);

  it('carrel doctor refuses it too, as carrel start does', async () => {
    const run = await carrel(['doctor', '--config', external(), '--mqtt-port', '1884', '--json']);
    expect(run.stderr).toBe(externalSaid);
    expect(run.code).toBe(2);
  }, 30_000);

  it('carrel start and doctor refuse it where MQTT is off', async () => {
    const off = deskFile('off', { mode: 'off' });
    const said =
      'carrel: --mqtt-port moves the MQTT broker Carrel runs itself (mqtt.mode embedded), and this desk has MQTT off (mqtt.mode off): leave --mqtt-port out, or set mqtt.mode embedded in the configuration\n';
    const start = await carrel(['start', '--config', off, '--mqtt-port', '1884', '--log-level', 'silent']);
    expect(start.startedAnyway).toBe(false);
    expect(start.stderr).toBe(said);
    expect(start.code).toBe(2);
    const doctor = await carrel(['doctor', '--config', off, '--mqtt-port', '1884', '--json']);
    expect(doctor.stderr).toBe(said);
    expect(doctor.code).toBe(2);
  }, 60_000);

  it('carrel doctor in text refuses it before any check, not after a PASS of the configuration', async () => {
    for (const [file, said] of [
      [external(), externalSaid],
      [
        deskFile('off-text', { mode: 'off' }),
        'carrel: --mqtt-port moves the MQTT broker Carrel runs itself (mqtt.mode embedded), and this desk has MQTT off (mqtt.mode off): leave --mqtt-port out, or set mqtt.mode embedded in the configuration\n',
      ],
    ] as const) {
      const doctor = await carrel(['doctor', '--config', file, '--mqtt-port', '1884']);
      // The refusal is all it says: no check line, no summary, to be read before or after it.
      expect(doctor.stdout).toBe('');
      expect(doctor.stderr).toBe(said);
      expect(doctor.code).toBe(2);
    }
  }, 60_000);
});
