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
import { Observer } from '../api/mqtt/observer.js';
import { runCarrel } from '../helpers/carrel-cli.js';
import { freePort } from '../helpers/free-port.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
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

describe.skipIf(mosquittoSkipReason() !== undefined)(
  'carrel mqtt forget, on a broker that takes desks without a login',
  () => {
    let dir: string;
    let broker: MosquittoBroker;
    const base = 'carrel/north/desk-2';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-forget-anonymous-'));
      broker = await startMosquitto();
    }, 60_000);

    afterAll(async () => {
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The retained topics under the desk's base, as the fleet view and dashboards are handed them. */
    async function retainedUnder(): Promise<string[]> {
      const auditor = await Observer.connect(broker.url);
      try {
        await auditor.subscribe(`${base}/#`);
        // Mosquitto sends a subscription's retained messages before the next SUBACK.
        await auditor.subscribe('carrel-test/after-the-retained');
        return auditor.messages
          .filter((m) => m.retain && m.payload.length > 0)
          .map((m) => m.topic)
          .sort();
      } finally {
        await auditor.close();
      }
    }

    it("clears a retired desk's state, totals and devices; mqtt acl says it is mqtt.username that is missing", async () => {
      // What a desk with no MQTT user (the broker's allow_anonymous) left when it stopped for good.
      const desk = await Observer.connect(broker.url);
      await desk.publish(`${base}/state`, '{"status":"offline","instance":"a1"}', { retain: true });
      await desk.publish(`${base}/totals`, '{"day":"2026-12-08"}', { retain: true });
      await desk.publish(`${base}/devices/pad-1/state`, '{"device":"pad-1","status":"online"}', {
        retain: true,
      });
      await desk.close();
      expect(await retainedUnder()).toEqual([
        `${base}/devices/pad-1/state`,
        `${base}/state`,
        `${base}/totals`,
      ]);

      const file = join(dir, 'north-desk-2.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: defaultDeskConfig().version,
          site: 'north',
          gateway: 'desk-2',
          http: { host: '127.0.0.1', port: 0 },
          storage: { path: join(dir, 'north-desk-2', 'carrel.db') },
          mqtt: { mode: 'external', url: broker.url },
        }),
      );
      const run = await runCarrel(['mqtt', 'forget', '--config', file, '--json'], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        base,
        cleared: expect.arrayContaining([`${base}/state`, `${base}/totals`, `${base}/devices/pad-1/state`]),
        lastStatus: 'offline',
      });
      expect(await retainedUnder()).toEqual([]);

      // The ACL gives the gateway's user its tree: without one there is nothing to write.
      const acl = await runCarrel(['mqtt', 'acl', '--config', file], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      expect(acl.code).toBe(1);
      expect(acl.stdout).toBe('');
      expect(acl.stderr).toBe(
        `carrel: ${file}: mqtt acl gives the desk's own broker user its tree, and mqtt.username names none: set mqtt.username (the gateway's user on the broker)\n`,
      );
    }, 60_000);
  },
);
