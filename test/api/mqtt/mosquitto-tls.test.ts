import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CarrelConfig, parseConfigText } from '../../../src/app/config.js';
import type { ConfigError } from '../../../src/core/errors.js';
import { CARREL_CLI } from '../../helpers/carrel-cli.js';
import { startTestDesk, type TestDesk } from '../../helpers/desk.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';
import { hasOpenssl, makeSignedCertificate, makeTestCa } from '../../helpers/tls-ca.js';

const skip = mosquittoSkipReason() ?? (hasOpenssl ? undefined : 'no openssl');
if (skip) console.warn(skip);

/** A CA, a broker certificate for 127.0.0.1 and a desk's client certificate, all signed by the CA. */
function makePki(dir: string) {
  makeTestCa(dir, 'ca');
  makeSignedCertificate(dir, 'ca', 'broker', 'DNS:localhost,IP:127.0.0.1');
  makeSignedCertificate(dir, 'ca', 'desk', '', 'desk-1');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'desk.pem'),
    key: join(dir, 'desk.key'),
    brokerCert: join(dir, 'broker.pem'),
    brokerKey: join(dir, 'broker.key'),
  };
}

/**
 * A desk on a branch broker that wants TLS with client certificates (Mosquitto
 * `require_certificate`), speaking MQTT 3.1.1 or 5 as the library's broker allows.
 */
describe.skipIf(skip !== undefined)(
  'an external broker with TLS client certificates and MQTT 3.1.1, on Mosquitto',
  () => {
    let pki: ReturnType<typeof makePki>;
    let broker: MosquittoBroker;
    let url: string;
    const desks: TestDesk[] = [];

    beforeAll(async () => {
      broker = await startMosquitto({
        // In the broker's own folder: Mosquitto drops to its user, who must read the files.
        configure: (dir) => {
          pki = makePki(dir);
          return [
            `cafile ${pki.ca}`,
            `certfile ${pki.brokerCert}`,
            `keyfile ${pki.brokerKey}`,
            'require_certificate true',
            'allow_anonymous true',
          ];
        },
      });
      url = `mqtts://127.0.0.1:${broker.port}`;
    }, 30_000);

    afterAll(async () => {
      for (const desk of desks) await desk.stop();
      await broker?.stop();
    });

    const withBroker = (mqttConfig: Record<string, unknown>) => (config: CarrelConfig) =>
      ({ ...config, mqtt: { mode: 'external', url, caFile: pki.ca, ...mqttConfig } }) as CarrelConfig;

    /** The gateway's retained state, read by a monitoring client holding its own certificate. */
    async function gatewayState(protocolVersion: 4 | 5): Promise<{ status: string }> {
      const client = await mqtt.connectAsync(url, {
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.cert),
        key: readFileSync(pki.key),
        protocolVersion,
        reconnectPeriod: 0,
      });
      try {
        const state = new Promise<{ status: string }>((resolve) =>
          client.on('message', (_topic, payload) => resolve(JSON.parse(String(payload)))),
        );
        await client.subscribeAsync('carrel/library/desk-1/state');
        return await state;
      } finally {
        await client.endAsync();
      }
    }

    it.each(['3.1.1', '5'] as const)(
      'connects with its client certificate over MQTT %s and publishes its state',
      async (version) => {
        const desk = await startTestDesk(
          withBroker({ certFile: pki.cert, keyFile: pki.key, protocolVersion: version }),
        );
        desks.push(desk);
        const features = desk.desk.services.features();
        expect(features.find((feature) => feature.name === 'mqtt')?.status).toBe('running');
        expect((await gatewayState(version === '5' ? 5 : 4)).status).toBe('online');
        await desk.stop();
        desks.pop();
      },
    );

    it('without a client certificate is refused by the broker, and says what to set while it tries again slowly', async () => {
      const desk = await startTestDesk(withBroker({}));
      desks.push(desk);
      // A certificate IT adds on the broker's side, or in the desk's files, is taken at the next
      // attempt: the desk serves on without MQTT meanwhile and /readyz says what to set.
      const feature = desk.desk.services.features().find((f) => f.name === 'mqtt');
      expect(feature?.status).toBe('running');
      const deadline = performance.now() + 10_000;
      let check: { ok: boolean; detail: string } | undefined;
      while (performance.now() < deadline) {
        const ready = (await (await fetch(`${desk.api}/readyz`)).json()) as {
          checks: Array<{ name: string; ok: boolean; detail: string }>;
        };
        check = ready.checks.find((c) => c.name === 'feature:mqtt');
        if (check?.detail.includes('trying again')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(check?.ok).toBe(false);
      expect(check?.detail).toContain('set mqtt.certFile and mqtt.keyFile');
      expect(check?.detail).toMatch(/trying again at \d{4}-/);
      await desk.stop();
      desks.pop();
    });

    it('carrel doctor dials it with the configured client certificate, as the desk does', () => {
      // No desk runs on this file, so doctor dials the broker itself.
      const doctor = (mqttConfig: Record<string, unknown>) => {
        const file = join(pki.dir, `doctor-${Object.keys(mqttConfig).length}.json`);
        const desk = {
          version: 2,
          http: { host: '127.0.0.1', port: 0 },
          storage: { path: join(pki.dir, 'carrel.db') },
        };
        writeFileSync(
          file,
          JSON.stringify({ ...desk, mqtt: { mode: 'external', url, caFile: pki.ca, ...mqttConfig } }),
        );
        const result = spawnSync(
          process.execPath,
          [CARREL_CLI, 'doctor', '--config', file, '--json', '--timeout', '5'],
          {
            encoding: 'utf8',
          },
        );
        const report = JSON.parse(result.stdout) as {
          checks: Array<{ name: string; status: string; detail: string }>;
        };
        return report.checks.find((check) => check.name === 'MQTT broker');
      };
      expect(doctor({ certFile: pki.cert, keyFile: pki.key })).toMatchObject({ status: 'pass' });
      expect(doctor({})).toMatchObject({ status: 'fail' });
    });

    it('refuses a config with a certificate and no key, at its path', () => {
      const text = `version: 2\nmqtt:\n  mode: external\n  url: ${url}\n  certFile: ${pki.cert}\n`;
      let issues: unknown;
      try {
        parseConfigText(text, 'yaml');
      } catch (error) {
        issues = (error as ConfigError).issues;
      }
      expect(issues).toEqual([{ path: 'mqtt.keyFile', message: 'certFile and keyFile go together' }]);
      expect(
        parseConfigText(`${text}  keyFile: ${pki.key}\n  protocolVersion: '3.1.1'\n`, 'yaml').mqtt,
      ).toMatchObject({
        protocolVersion: '3.1.1',
      });
    });
  },
);
