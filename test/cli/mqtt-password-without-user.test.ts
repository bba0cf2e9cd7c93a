/**
 * An MQTT password given without a user name: the MQTT client will not send such a login, so the
 * broker never hears from the desk or the fleet view — which used to say only that the broker
 * could not be reached ("connection closed"; `carrel fleet`: "no answer … in 10000 ms") while
 * Mosquitto ran fine. IT staff are told what is missing instead, before anything starts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARREL_CLI, runCarrel } from '../helpers/carrel-cli.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../helpers/mosquitto.js';

const skip = mosquittoSkipReason();

describe.skipIf(skip !== undefined)('an MQTT password without a user name, on Mosquitto', () => {
  let broker: MosquittoBroker;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-user-'));
    config = join(dir, 'carrel.yaml');
    writeFileSync(
      config,
      [
        'version: 2',
        'http: { port: 0 }',
        'mqtt:',
        '  mode: external',
        `  url: ${broker.url}`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${env:NAME} reference
        '  password: ${env:CARREL_MQTT_PASSWORD}',
        `storage: { path: ${join(dir, 'carrel.db')} }`,
        'devices: []',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = { CARREL_MQTT_PASSWORD: 'desk-secret-1234', CARREL_FLEET_TOKEN: '', LOG_LEVEL: 'warn' };

  it('carrel config check names the missing user name, and not the password', async () => {
    const checked = await runCarrel(['config', 'check', config], { env });
    expect(checked.code).toBe(2);
    expect(checked.stdout).toMatch(/mqtt\.username: .*mqtt\.password/);
    expect(checked.stdout + checked.stderr).not.toContain('desk-secret-1234');
  });

  it('carrel start refuses the file at once with the same line', async () => {
    // A daemon that starts anyway is stopped after 10 s (and the test fails on its exit code).
    const child = spawn(process.execPath, [CARREL_CLI, 'start', '--config', config], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/mqtt\.username: .*mqtt\.password/);
  }, 30_000);

  it('carrel fleet says --password needs --username, in one line, at once', async () => {
    const at = Date.now();
    const fleet = await runCarrel(['fleet', '--broker', broker.url, '--http-port', '0'], {
      env: { ...env, CARREL_FLEET_PASSWORD: 'fleet-secret-1234' },
    });
    expect(fleet.code).toBe(2);
    expect(fleet.stderr).toMatch(/^carrel: .*--username/);
    expect(fleet.stderr).not.toMatch(/no answer|\n\s+at /);
    expect(fleet.stderr).not.toContain('fleet-secret-1234');
    expect(Date.now() - at).toBeLessThan(8000);
  }, 30_000);
});
