/**
 * `carrel mqtt forget` (the built command, dist/) as IT runs it to clear a retired desk from the
 * library's Mosquitto — over TLS with a password file and a certificate signed by the library's CA
 * made here with openssl — with the desk's configuration set up wrong: it says what is wrong in the
 * words the desk and `carrel doctor` say it in, naming the desk's settings, and clears nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { runCarrel } from '../helpers/carrel-cli.js';
import { freePort } from '../helpers/free-port.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startTlsMosquitto,
  writeMosquittoPasswords,
} from '../helpers/mosquitto.js';
import { hasOpenssl, makeTestCa } from '../helpers/tls-ca.js';

const skip = mosquittoSkipReason() ?? (hasOpenssl ? undefined : 'no openssl');
const DESK_USER = 'north-desk-1';
const DESK_PASSWORD = 'the-desk-password-0123';
const WRONG_PASSWORD = 'a-wrong-password-4567';

describe.skipIf(skip !== undefined)('carrel mqtt forget, refused by the broker', () => {
  let dir: string;
  let libraryCa: string;
  let otherCa: string;
  let broker: MosquittoBroker;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-forget-'));
    libraryCa = makeTestCa(dir, 'library-ca');
    otherCa = makeTestCa(dir, 'other-ca');
    broker = await startTlsMosquitto(
      dir,
      'library-ca',
      'broker',
      'DNS:localhost,IP:127.0.0.1',
      (brokerDir) => {
        writeMosquittoPasswords(join(brokerDir, 'passwd'), { [DESK_USER]: DESK_PASSWORD });
        return [`password_file ${join(brokerDir, 'passwd')}`, 'allow_anonymous false'];
      },
    );
    url = `mqtts://127.0.0.1:${broker.port}`;
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `carrel mqtt forget` with a retired desk's configuration whose MQTT settings are `mqtt`. */
  async function forget(name: string, mqtt: Record<string, unknown>) {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: defaultDeskConfig().version,
        site: 'north',
        gateway: 'desk-1',
        // Port 0: no running Carrel of this desk to ask for (what is checked is the broker's refusal).
        http: { host: '127.0.0.1', port: 0 },
        storage: { path: join(dir, name, 'carrel.db') },
        mqtt: { mode: 'external', url, ...mqtt },
      }),
    );
    const run = await runCarrel(['mqtt', 'forget', '--config', file], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    for (const secret of [DESK_PASSWORD, WRONG_PASSWORD])
      expect(run.stdout + run.stderr).not.toContain(secret);
    return run;
  }

  it("a refused login: says the broker refused the desk's login and to check mqtt.username and mqtt.password", async () => {
    const run = await forget('wrong-password', {
      caFile: libraryCa,
      username: DESK_USER,
      password: WRONG_PASSWORD,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `carrel: ${url}: it refused the desk's login: Connection refused: Not authorized (check mqtt.username and mqtt.password, and the broker's password file and ACL for that user)\n`,
    );
  });

  it("a CA file of another CA: says the broker's certificate is not signed by the CA in mqtt.caFile, and what to put there", async () => {
    const run = await forget('other-ca', { caFile: otherCa, username: DESK_USER, password: DESK_PASSWORD });
    expect(run.code).toBe(1);
    const said = run.stderr.trim().split('\n');
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(
      `carrel: ${url}: the broker's certificate is not signed by the CA in mqtt.caFile (${otherCa}) (`,
    );
    expect(said[0]).toMatch(/: put the CA that signed the broker's certificate in that file$/);
  });

  it('a broker not there: says nothing listens where mqtt.url points, and to check it runs there', async () => {
    const port = await freePort();
    const file = join(dir, 'nothing.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: defaultDeskConfig().version,
        site: 'north',
        gateway: 'desk-1',
        http: { host: '127.0.0.1', port: 0 },
        storage: { path: join(dir, 'nothing', 'carrel.db') },
        mqtt: {
          mode: 'external',
          url: `mqtt://127.0.0.1:${port}`,
          username: DESK_USER,
          password: DESK_PASSWORD,
        },
      }),
    );
    const run = await runCarrel(['mqtt', 'forget', '--config', file], {
      cwd: dir,
      env: { CARREL_CONFIG: '' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `carrel: mqtt://127.0.0.1:${port} cannot be reached: nothing listens on 127.0.0.1:${port} (connection refused): check that the broker runs, on the host and port in mqtt.url, and that no firewall is in the way\n`,
    );
  });
});
