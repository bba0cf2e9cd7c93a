/**
 * `carrel doctor` (the built command, dist/) on a desk whose MQTT broker is the library's Mosquitto,
 * as IT runs it when the desk's kiosks lost MQTT: the broker over TLS with a password file and a
 * certificate signed by the library's CA made here with openssl. Doctor dials it with the desk's
 * own settings and says what is wrong in the words the running desk says it in (its log, /readyz)
 * — a refused login, a CA file of another CA, a certificate made out for another name, nothing
 * listening — and what to mend, never showing the password.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../src/api/mqtt/embedded-broker.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { silentLogger } from '../../src/core/logger.js';
import { CARREL_CLI, runCarrel } from '../helpers/carrel-cli.js';
import { freePort } from '../helpers/free-port.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startTlsMosquitto,
  writeMosquittoPasswords,
} from '../helpers/mosquitto.js';
import { hasOpenssl, makeTestCa } from '../helpers/tls-ca.js';
import { until } from '../helpers/until.js';

interface Check {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  hint?: string;
}

const skip = mosquittoSkipReason() ?? (hasOpenssl ? undefined : 'no openssl');
const DESK_USER = 'desk-7';
const DESK_PASSWORD = 'the-desk-password-0123';
const WRONG_PASSWORD = 'a-wrong-password-4567';

describe.skipIf(skip !== undefined)("carrel doctor on a desk's external MQTT broker", () => {
  let dir: string;
  let libraryCa: string;
  let otherCa: string;
  /** Over TLS, a certificate for localhost and 127.0.0.1, the desk's user in its password file. */
  let secured: MosquittoBroker;
  /** Over TLS, a certificate made out for another host. */
  let misnamed: MosquittoBroker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-mqtt-'));
    libraryCa = makeTestCa(dir, 'library-ca');
    otherCa = makeTestCa(dir, 'other-ca');
    const tlsBroker = (certName: string, altNames: string, extra: (brokerDir: string) => string[]) =>
      startTlsMosquitto(dir, 'library-ca', certName, altNames, extra);
    secured = await tlsBroker('broker', 'DNS:localhost,IP:127.0.0.1', (brokerDir) => {
      writeMosquittoPasswords(join(brokerDir, 'passwd'), { [DESK_USER]: DESK_PASSWORD });
      return [`password_file ${join(brokerDir, 'passwd')}`, 'allow_anonymous false'];
    });
    misnamed = await tlsBroker('elsewhere', 'DNS:mqtt.elsewhere.example', () => []);
  }, 60_000);

  afterAll(async () => {
    await secured?.stop();
    await misnamed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Doctor on a desk of no devices whose MQTT settings are `mqtt`: its MQTT broker check, its exit code and all it printed. */
  async function doctorOn(name: string, mqtt: Record<string, unknown>) {
    const desk = {
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: 'desk-7',
      // Port 0: no Carrel of this desk to ask, no HTTP port to check (what is checked is the broker).
      http: { host: '127.0.0.1', port: 0 },
      storage: { path: join(dir, name, 'carrel.db') },
      mqtt: { mode: 'external', ...mqtt },
    };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(desk));
    const run = await runCarrel(['doctor', '--config', file, '--json', '--timeout', '5'], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(run.stderr).toBe('');
    const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
    const broker = checks.find((check) => check.name === 'MQTT broker');
    if (!broker) throw new Error(`no MQTT broker check: ${run.stdout}`);
    for (const secret of [DESK_PASSWORD, WRONG_PASSWORD]) expect(run.stdout).not.toContain(secret);
    return { code: run.code, broker, output: run.stdout };
  }

  const tlsUrl = (broker: MosquittoBroker) => `mqtts://127.0.0.1:${broker.port}`;

  it('passes a broker that takes the desk: its CA, its user and password', async () => {
    const { code, broker } = await doctorOn('ok', {
      url: tlsUrl(secured),
      caFile: libraryCa,
      username: DESK_USER,
      password: DESK_PASSWORD,
    });
    expect(broker).toMatchObject({
      status: 'pass',
      detail: `${tlsUrl(secured)} accepts the desk's connection and delivers what it publishes under carrel/library/desk-7`,
    });
    expect(code).toBe(0);
  });

  it('says the broker refused the login, and to check the user and password', async () => {
    const { code, broker } = await doctorOn('wrong-password', {
      url: tlsUrl(secured),
      caFile: libraryCa,
      username: DESK_USER,
      password: WRONG_PASSWORD,
    });
    expect(code).toBe(1);
    expect(broker.status).toBe('fail');
    expect(broker.detail).toBe(
      `${tlsUrl(secured)}: it refused the desk's login: Connection refused: Not authorized`,
    );
    expect(broker.hint).toBe(
      "check mqtt.username and mqtt.password, and the broker's password file and ACL for that user",
    );
  });

  it('says the certificate is not signed by the CA in mqtt.caFile, not that the broker cannot be reached', async () => {
    const { code, broker } = await doctorOn('other-ca', {
      url: tlsUrl(secured),
      caFile: otherCa,
      username: DESK_USER,
      password: DESK_PASSWORD,
    });
    expect(code).toBe(1);
    expect(broker.status).toBe('fail');
    expect(broker.detail).toContain(
      `${tlsUrl(secured)}: the broker's certificate is not signed by the CA in mqtt.caFile (${otherCa})`,
    );
    expect(broker.detail).not.toContain('cannot be reached');
    expect(broker.hint).toBe("put the CA that signed the broker's certificate in that file");
  });

  it('says the certificate is made out for another name, which one, and to dial that name in mqtt.url', async () => {
    const { code, broker } = await doctorOn('misnamed', { url: tlsUrl(misnamed), caFile: libraryCa });
    expect(code).toBe(1);
    expect(broker.status).toBe('fail');
    expect(broker.detail).toBe(
      `${tlsUrl(misnamed)}: the broker's certificate is not made out for 127.0.0.1 (it names DNS:mqtt.elsewhere.example)`,
    );
    expect(broker.hint).toContain('dial the broker by a name its certificate has, in mqtt.url');
  });

  it('says nothing listens where mqtt.url points, and to check the broker runs there', async () => {
    const port = await freePort();
    const { code, broker } = await doctorOn('nothing', {
      url: `mqtts://127.0.0.1:${port}`,
      caFile: libraryCa,
      username: DESK_USER,
      password: DESK_PASSWORD,
    });
    expect(code).toBe(1);
    expect(broker.status).toBe('fail');
    expect(broker.detail).toBe(
      `mqtts://127.0.0.1:${port} cannot be reached: nothing listens on 127.0.0.1:${port} (connection refused)`,
    );
    expect(broker.hint).toContain('mqtt.url');
  });

  it("dials the broker in the desk's MQTT version: a desk set to 3.1.1 on a broker of 3.1.1 only passes", async () => {
    // Carrel's embedded broker speaks MQTT 3.1.1 only (docs/mqtt.md: such a broker wants
    // mqtt.protocolVersion '3.1.1'); the desk's own link connects to it.
    const older = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    try {
      const { code, broker } = await doctorOn('mqtt-3.1.1', {
        url: `mqtt://127.0.0.1:${older.port}`,
        protocolVersion: '3.1.1',
      });
      expect(broker).toMatchObject({ status: 'pass' });
      expect(code).toBe(0);
    } finally {
      await older.close();
    }
  });

  it("with the desk's Carrel running, passes on what it says of a refusal and that it dials again by itself, not a check of the password", async () => {
    // The desk listens on a port the system gives it (one found free beforehand may be taken by
    // another test's process first); its configuration is then written with the port it got, as a
    // desk whose file names its port, for doctor to find it there.
    const desk = {
      version: defaultDeskConfig().version,
      site: 'library',
      gateway: 'desk-7',
      http: { host: '127.0.0.1', port: 0 },
      storage: { path: join(dir, 'running', 'carrel.db') },
      mqtt: {
        mode: 'external',
        url: tlsUrl(secured),
        caFile: otherCa,
        username: DESK_USER,
        password: DESK_PASSWORD,
      },
    };
    const file = join(dir, 'running.json');
    writeFileSync(file, JSON.stringify(desk));
    const carrel = spawn(process.execPath, [CARREL_CLI, 'start', '--config', file, '--log-level', 'silent'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let banner = '';
    carrel.stderr!.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
    });
    try {
      const api = await until(
        async () => /API\s+(http:\/\/\S+)\/api\/v1/.exec(banner)?.[1],
        20_000,
        'the desk to say where its API is',
      );
      desk.http.port = Number(new URL(api).port);
      writeFileSync(file, JSON.stringify(desk));
      await until(
        async () => {
          const ready = await fetch(`${api}/readyz`).then(
            async (response) => (await response.json()) as { checks: Check[] },
            () => undefined,
          );
          return ready?.checks.find((c) => c.name === 'feature:mqtt' && c.detail?.includes('not signed'));
        },
        20_000,
        "the running desk's /readyz to name the refusal",
      );
      const run = await runCarrel(['doctor', '--config', file, '--json', '--timeout', '5'], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      const broker = (JSON.parse(run.stdout) as { checks: Check[] }).checks.find(
        (c) => c.name === 'MQTT broker',
      );
      expect(broker?.status).toBe('fail');
      expect(broker?.detail).toContain(
        `the broker's certificate is not signed by the CA in mqtt.caFile (${otherCa})`,
      );
      expect(broker?.hint).not.toMatch(/mqtt\.username|mqtt\.password/);
      expect(broker?.hint).toContain('dials again by itself');
      expect(run.stdout).not.toContain(DESK_PASSWORD);
    } finally {
      carrel.kill('SIGTERM');
      if (carrel.exitCode === null) await new Promise((resolve) => carrel.once('exit', resolve));
    }
  }, 60_000);
});
