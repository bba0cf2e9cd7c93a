import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrelConfig } from '../../../src/app/config.js';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { startTestDesk, type TestDesk } from '../../helpers/desk.js';
import { type MosquittoBroker, mosquittoSkipReason, startTlsMosquitto } from '../../helpers/mosquitto.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';
import { until } from '../../helpers/until.js';

/**
 * IT points a desk at the library's Mosquitto over TLS, and the TLS does not agree: the desk was
 * given another CA's file as mqtt.caFile, or the broker's certificate is made out for another
 * name. The desk starts and serves without MQTT, /readyz says what is wrong in words IT can act
 * on, and it dials again slowly (30 s, then longer) — once the right CA is in mqtt.caFile it
 * connects by itself, without a restart.
 *
 * The desk's clock is the system's, except that the wait before dialling again (its named timer) is
 * recorded and cut to 300 ms.
 */
const skip = mosquittoSkipReason() ?? (hasOpenssl ? undefined : 'no openssl');

interface ReadyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** A desk on `url` trusting `caFile`, logging JSON into `sink`, its refused-retry waits recorded and cut short. */
async function deskOn(
  url: string,
  caFile: string,
  sink: { log: string; waits: number[] },
): Promise<TestDesk> {
  const clock: Clock = {
    ...systemClock,
    setTimeout(name, callback, ms) {
      if (name !== 'mqtt-refused-retry') return systemClock.setTimeout(name, callback, ms);
      sink.waits.push(ms);
      return systemClock.setTimeout(name, callback, 300);
    },
  };
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    sink.log += chunk.toString('utf8');
  });
  return startTestDesk(
    (config) => ({ ...config, mqtt: { mode: 'external', url, caFile } }) as CarrelConfig,
    createLogger({ level: 'info', format: 'json', destination: lines }),
    clock,
  );
}

async function mqttCheck(desk: TestDesk): Promise<ReadyCheck | undefined> {
  const ready = (await (await fetch(`${desk.api}/readyz`)).json()) as { checks: ReadyCheck[] };
  return ready.checks.find((check) => check.name === 'feature:mqtt');
}

const mqttWarnings = (log: string) =>
  log.split('\n').filter((line) => line.includes('"module":"mqtt"') && /"level":"(warn|error)"/.test(line));

describe.skipIf(skip !== undefined)('a desk whose broker’s TLS it cannot trust', () => {
  let dir: string;
  let right: MosquittoBroker;
  let misnamed: MosquittoBroker;
  const desks: TestDesk[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-mqtt-tls-'));
    makeTestCa(dir, 'library-ca');
    makeTestCa(dir, 'other-ca');
    const tlsBroker = (certName: string, altNames: string) =>
      startTlsMosquitto(dir, 'library-ca', certName, altNames);
    right = await tlsBroker('broker', 'DNS:localhost,IP:127.0.0.1');
    misnamed = await tlsBroker('elsewhere', 'DNS:mqtt.elsewhere.example');
  }, 60_000);

  afterAll(async () => {
    for (const desk of desks) await desk.stop();
    await right?.stop();
    await misnamed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('given another CA, starts without MQTT, says the certificate is not signed by mqtt.caFile, and connects once the right CA is there', async () => {
    const caFile = join(dir, 'desk-ca.pem');
    copyFileSync(join(dir, 'other-ca.pem'), caFile);
    const sink = { log: '', waits: [] as number[] };
    const desk = await deskOn(`mqtts://127.0.0.1:${right.port}`, caFile, sink);
    desks.push(desk);
    // The desk runs: its HTTP API answers, and MQTT is not given up on.
    const feature = desk.desk.services.features().find((f) => f.name === 'mqtt');
    expect(feature?.status).toBe('running');

    await until(() => (sink.waits.length >= 3 ? true : undefined), 10_000, 'three refused attempts');
    expect(sink.waits[0]).toBeGreaterThanOrEqual(24_000);
    expect(sink.waits[1]).toBeGreaterThan(sink.waits[0] as number);
    const check = await mqttCheck(desk);
    expect(check?.ok).toBe(false);
    expect(check?.detail).toContain(
      `the broker's certificate is not signed by the CA in mqtt.caFile (${caFile})`,
    );
    expect(check?.detail).toMatch(/trying again at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(check?.detail).not.toContain('restart');
    // One warn line an attempt, not one a second.
    const warnings = mqttWarnings(sink.log);
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings.length).toBeLessThanOrEqual(sink.waits.length);
    expect(warnings.every((line) => line.includes('not signed by the CA in mqtt.caFile'))).toBe(true);

    // IT puts the library's CA in place: the desk's next attempt reads it and connects.
    copyFileSync(join(dir, 'library-ca.pem'), caFile);
    await until(
      async () => ((await mqttCheck(desk)) === undefined ? true : undefined),
      10_000,
      'MQTT connected',
    );
    const monitoring = await mqtt.connectAsync(`mqtts://127.0.0.1:${right.port}`, {
      ca: readFileSync(join(dir, 'library-ca.pem')),
      reconnectPeriod: 0,
    });
    try {
      const state = new Promise<{ status: string }>((resolve) =>
        monitoring.on('message', (_topic, payload) => resolve(JSON.parse(String(payload)))),
      );
      await monitoring.subscribeAsync('carrel/library/desk-1/state');
      expect((await state).status).toBe('online');
    } finally {
      await monitoring.endAsync();
    }
  });

  it('on a broker whose certificate names another host, says so and which name it has', async () => {
    const sink = { log: '', waits: [] as number[] };
    const desk = await deskOn(`mqtts://127.0.0.1:${misnamed.port}`, join(dir, 'library-ca.pem'), sink);
    desks.push(desk);
    expect(desk.desk.services.features().find((f) => f.name === 'mqtt')?.status).toBe('running');
    await until(() => (sink.waits.length >= 1 ? true : undefined), 10_000, 'a refused attempt');
    const check = await mqttCheck(desk);
    expect(check?.ok).toBe(false);
    expect(check?.detail).toContain("the broker's certificate is not made out for 127.0.0.1");
    expect(check?.detail).toContain('mqtt.elsewhere.example');
    expect(check?.detail).toContain('mqtt.url');
  });
});
