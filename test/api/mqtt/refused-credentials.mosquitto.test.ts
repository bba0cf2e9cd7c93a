import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { startTestDesk, type TestDesk } from '../../helpers/desk.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  writeMosquittoPasswords,
} from '../../helpers/mosquitto.js';
import { until } from '../../helpers/until.js';
import { Observer } from './observer.js';

/**
 * IT sets up a desk on the library's Mosquitto, as docs/mqtt.md says, before the desk's user is in
 * the broker's password file. The desk serves without MQTT meanwhile, /readyz says the broker
 * refuses its login and when it is tried next, one warn line per attempt; once IT adds the user
 * and reloads Mosquitto (SIGHUP), the desk connects by itself, without a restart.
 *
 * The desk's clock is the system's, except that the wait before dialling a refusing broker again
 * (its named timer) is recorded and cut to 300 ms, so the test does not wait out 30 s.
 */
const skipReason = mosquittoSkipReason();
const DESK_USER = 'desk-1-gateway';
const DESK_PASSWORD = 'the-desk-password-123';
const SHORT_WAIT_MS = 300;

interface ReadyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

describe.skipIf(skipReason !== undefined)('a desk whose external broker refuses its login', () => {
  let broker: MosquittoBroker;
  let brokerDir = '';
  let desk: TestDesk;
  let log = '';
  /** Each wait the desk asked for before dialling the refusing broker again. */
  const refusedWaits: number[] = [];
  /** Times the desk's own state came back from the broker in time (its wait cancelled). */
  let ownStateHeard = 0;
  const clock: Clock = {
    ...systemClock,
    setTimeout(name, callback, ms) {
      if (name === 'mqtt-own-state-echo') {
        const timer = systemClock.setTimeout(name, callback, ms);
        return {
          ...timer,
          cancel: () => {
            ownStateHeard++;
            timer.cancel();
          },
        };
      }
      // Its minute between two looks at a broker that drops its state, cut as the retry's.
      if (name === 'mqtt-own-state-recheck') return systemClock.setTimeout(name, callback, SHORT_WAIT_MS);
      if (name !== 'mqtt-refused-retry') return systemClock.setTimeout(name, callback, ms);
      refusedWaits.push(ms);
      return systemClock.setTimeout(name, callback, SHORT_WAIT_MS);
    },
  };

  const mqttCheck = async (): Promise<ReadyCheck | undefined> => {
    const ready = (await (await fetch(`${desk.api}/readyz`)).json()) as { checks: ReadyCheck[] };
    return ready.checks.find((check) => check.name === 'feature:mqtt');
  };
  const mqttWarnings = () =>
    log.split('\n').filter((line) => line.includes('"module":"mqtt"') && /"level":"(warn|error)"/.test(line));

  beforeAll(async () => {
    broker = await startMosquitto({
      configure: (dir) => {
        brokerDir = dir;
        // The password file has the monitoring user, not yet the desk's.
        writeMosquittoPasswords(join(dir, 'carrel.passwd'), { 'it-monitoring': 'monitoring-password-123' });
        return ['allow_anonymous false', `password_file ${join(dir, 'carrel.passwd')}`];
      },
    });
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    desk = await startTestDesk(
      (config) => ({
        ...config,
        mqtt: {
          mode: 'external',
          url: `mqtt://127.0.0.1:${broker.port}`,
          username: DESK_USER,
          password: DESK_PASSWORD,
          protocolVersion: '3.1.1',
        },
      }),
      createLogger({ level: 'info', format: 'json', destination: lines }),
      clock,
    );
  }, 60_000);

  afterAll(async () => {
    await desk?.stop();
    await broker?.stop();
  });

  it('says it is refused and when it tries again, slowly, one warn line per attempt', async () => {
    // A few attempts, each refused.
    const deadline = performance.now() + 10_000;
    while (refusedWaits.length < 3 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(refusedWaits.length).toBeGreaterThanOrEqual(3);
    // 30 s (less its jitter), then longer each time: never a tight loop.
    expect(refusedWaits[0]).toBeGreaterThanOrEqual(24_000);
    expect(refusedWaits[1]).toBeGreaterThan(refusedWaits[0] as number);
    expect(Math.max(...refusedWaits)).toBeLessThanOrEqual(360_000);

    const mqtt = await mqttCheck();
    expect(mqtt?.ok).toBe(false);
    expect(mqtt?.detail).toContain("it refused the desk's login: Connection refused: Not authorized");
    expect(mqtt?.detail).toContain("check mqtt.username and mqtt.password, and the broker's password file");
    expect(mqtt?.detail).toMatch(/trying again at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(refused \d+ times\)/);
    expect(mqtt?.detail).not.toContain('restart');

    const warnings = mqttWarnings();
    const refusals = warnings.filter((line) => line.includes("refused the desk's login; trying again in"));
    // One line per attempt, none for anything else (no 'unreachable', no error lines).
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(refusals.length).toBeLessThanOrEqual(refusedWaits.length);
    expect(warnings.length).toBe(refusals.length);
  });

  it('connects by itself once the desk user is added and Mosquitto reloads, without a restart', async () => {
    writeMosquittoPasswords(join(brokerDir, 'carrel.passwd'), {
      'it-monitoring': 'monitoring-password-123',
      [DESK_USER]: DESK_PASSWORD,
    });
    chmodSync(join(brokerDir, 'carrel.passwd'), 0o644);
    broker.reload();
    // /readyz lists a feature only while it has a problem.
    const deadline = performance.now() + 10_000;
    let mqtt = await mqttCheck();
    while (mqtt !== undefined && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      mqtt = await mqttCheck();
    }
    expect(mqtt, mqtt?.detail).toBeUndefined();
    // And the broker has it: IT's monitoring user reads the desk online.
    const monitoring = await Observer.connect(broker.url, {
      username: 'it-monitoring',
      password: 'monitoring-password-123',
      protocolVersion: 4,
    });
    try {
      await monitoring.subscribe('carrel/library/desk-1/state');
      const state = await monitoring.waitFor(
        (m) => m.topic === 'carrel/library/desk-1/state',
        'the desk state',
      );
      expect(state.json).toMatchObject({ status: 'online' });
    } finally {
      await monitoring.close();
    }
    expect(log).toContain("MQTT broker took the desk's login after refusing it");
    expect(log).not.toContain(DESK_PASSWORD);
  });

  it("says, once and on /readyz, that the broker's ACL drops what the desk publishes, and notices the ACL mended", async () => {
    // The broker took the desk's online state and gave it back (its own subscription) in time.
    await until(() => ownStateHeard > 0 || undefined, 10_000, "the desk's own state back from the broker");
    expect(log).not.toContain('did not deliver');
    // The broker restarts with an ACL that lets the desk's user read its tree, not write it (a
    // mistake: "read" for "readwrite"). Mosquitto drops each publish of the desk without a word.
    const { port } = broker;
    await broker.stop();
    const acl = (access: string) =>
      `user ${DESK_USER}\ntopic ${access} carrel/library/desk-1/#\n\nuser it-monitoring\ntopic read carrel/#\n`;
    broker = await startMosquitto({
      port,
      configure: (dir) => {
        brokerDir = dir;
        writeMosquittoPasswords(join(dir, 'carrel.passwd'), {
          'it-monitoring': 'monitoring-password-123',
          [DESK_USER]: DESK_PASSWORD,
        });
        writeFileSync(join(dir, 'carrel.acl'), acl('read'));
        return [
          'allow_anonymous false',
          `password_file ${join(dir, 'carrel.passwd')}`,
          `acl_file ${join(dir, 'carrel.acl')}`,
        ];
      },
    });
    const said = await until(
      async () => {
        const mqtt = await mqttCheck();
        return mqtt?.detail.includes('did not deliver') ? mqtt : undefined;
      },
      20_000,
      '/readyz to say the broker drops what the desk publishes',
      100,
    );
    expect(said.ok).toBe(false);
    expect(said.detail).toContain(
      "did not deliver this desk's own carrel/library/desk-1/state back to it within 5 s",
    );
    expect(said.detail).toContain(`its ACL does not let the desk's MQTT user "${DESK_USER}" write`);
    expect(said.detail).toContain('carrel mqtt acl');
    const warned = mqttWarnings().filter((line) => line.includes('did not deliver'));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ topic: 'carrel/library/desk-1/state' });

    // IT mends the ACL and reloads Mosquitto: the desk sees its state come back, without a restart.
    writeFileSync(join(brokerDir, 'carrel.acl'), acl('readwrite'));
    broker.reload();
    await until(
      async () => ((await mqttCheck()) === undefined ? true : undefined),
      20_000,
      '/readyz clear',
      100,
    );
    expect(log).toContain('its publishes reach the broker again');
    // Said once, however many times it looked meanwhile.
    expect(mqttWarnings().filter((line) => line.includes('did not deliver'))).toHaveLength(1);
    expect(log).not.toContain(DESK_PASSWORD);
  }, 60_000);
});
