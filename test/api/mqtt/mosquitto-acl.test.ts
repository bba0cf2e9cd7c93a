import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttResponse } from '../../../src/api/mqtt/topics.js';
import { runCarrel } from '../../helpers/carrel-cli.js';
import { freePort } from '../../helpers/free-port.js';
import { mosquittoSkipReason } from '../../helpers/mosquitto.js';
import { until } from '../../helpers/until.js';
import { ASKER, BASE, PIN } from './access-matrix.js';
import {
  AUDITOR,
  carrel,
  carrelMqttAcl,
  credentialOf,
  GATEWAY_USER,
  gatewayConfigYaml,
  startSecuredMosquitto,
} from './mosquitto-rig.js';
import { Observer } from './observer.js';

const skipReason = mosquittoSkipReason();

describe('carrel mqtt acl', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-acl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function aclFor(yaml: string) {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return carrelMqttAcl(dir, file);
  }

  it('prints one user block per token, areas by name, and never another client’s area', () => {
    const { status, stdout } = aclFor(gatewayConfigYaml());
    expect(status).toBe(0);
    expect(stdout).toContain(`user ${GATEWAY_USER}\ntopic readwrite ${BASE}/#\n`);
    expect(stdout).toContain(
      [
        'user it-monitoring',
        `topic read ${BASE}/state`,
        `topic read ${BASE}/totals`,
        `topic read ${BASE}/devices/+/state`,
        `topic read ${BASE}/devices/+/events/+`,
        '',
      ].join('\n'),
    );
    expect(stdout).toContain(
      [
        'user kiosk-a',
        `topic read ${BASE}/state`,
        `topic read ${BASE}/totals`,
        `topic read ${BASE}/devices/+/state`,
        `topic read ${BASE}/devices/+/events/+`,
        `topic read ${BASE}/clients/kiosk-a/response/#`,
        `topic write ${BASE}/clients/kiosk-a/request/#`,
        '',
      ].join('\n'),
    );
    // No wildcard where a client's name belongs, and the broker's own topics for nobody.
    expect(stdout).not.toMatch(/clients\/[+#%]/);
    expect(stdout).not.toContain('$SYS');
  });

  /** As aclFor, to its end without holding this process up: the refusals below run side by side. */
  function aclRefusalFor(yaml: string) {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return runCarrel(['mqtt', 'acl', '--config', file], { cwd: dir });
  }

  it('refuses a configuration without an external broker, or with names a topic cannot hold', async () => {
    // Each its own process, one after another 4 s of the file: side by side.
    const [embedded, odd, twice, help] = await Promise.all([
      aclRefusalFor(gatewayConfigYaml().replace(/mqtt:[\s\S]*$/, 'mqtt:\n  mode: embedded\n')),
      aclRefusalFor(
        gatewayConfigYaml([{ name: 'kiosk/+', token: 'odd-token-0123456789abcdef', scopes: ['kiosk'] }]),
      ),
      aclRefusalFor(
        gatewayConfigYaml([{ name: GATEWAY_USER, token: 'same-token-0123456789abcdef', scopes: ['kiosk'] }]),
      ),
      runCarrel(['mqtt', '--help'], { cwd: dir }),
    ]);
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toContain(
      "this desk's mqtt.mode is embedded: set mqtt.mode: external with its mqtt.url",
    );
    expect(odd.code).toBe(1);
    expect(odd.stderr).toContain('"kiosk/+"');
    expect(odd.stderr).not.toContain('odd-token');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`used twice: ${GATEWAY_USER}`);
    expect(help.stdout).toContain('use_username_as_clientid true');
  });
});

describe.skipIf(skipReason !== undefined)('Mosquitto with Carrel’s ACL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function connect(url: string, options: Parameters<typeof Observer.connect>[1]): Promise<Observer> {
    const observer = await Observer.connect(url, options);
    cleanups.push(() => observer.close());
    return observer;
  }

  it('MQTT 5: answers only in the asker’s own area, whatever response topic it names', async () => {
    const { mosquitto, bus, stop } = await startSecuredMosquitto(5);
    cleanups.push(stop);
    const kioskA = await connect(mosquitto.url, { protocolVersion: 5, ...credentialOf(ASKER) });
    const kioskB = await connect(mosquitto.url, { protocolVersion: 5, ...credentialOf('kiosk-b') });
    const auditor = await connect(mosquitto.url, { protocolVersion: 5, ...AUDITOR });
    await kioskA.subscribe(`${BASE}/clients/${ASKER}/response/#`);
    await kioskB.subscribe('#');
    await auditor.subscribe(`${BASE}/#`);
    const area = `${BASE}/clients/${ASKER}`;
    const attempts = [
      { responseTopic: `${BASE}/clients/kiosk-b/response/circulation.patron`, answeredOn: 'default' },
      { responseTopic: `${area}/request/circulation.patron`, answeredOn: 'default' },
      { responseTopic: `${BASE}/state`, answeredOn: 'default' },
      { responseTopic: `${area}/response/screen/2`, answeredOn: `${area}/response/screen/2` },
    ];
    for (const [i, attempt] of attempts.entries()) {
      const correlationData = Buffer.from(`deputy-${i}`);
      await kioskA.publish(
        `${area}/request/circulation.patron`,
        JSON.stringify({ data: { patron: '21000042', pin: PIN } }),
        { properties: { responseTopic: attempt.responseTopic, correlationData } },
      );
      const answer = await kioskA.waitFor(
        (m) => m.correlationData?.equals(correlationData) === true,
        `the answer for ${attempt.responseTopic}`,
      );
      expect(answer.topic).toBe(
        attempt.answeredOn === 'default' ? `${area}/response/circulation.patron` : attempt.answeredOn,
      );
      expect((answer.json as MqttResponse).transaction).toBe(`deputy-${i}`);
    }
    bus.emit('device.event', { device: 'barrier', type: 'done', time: new Date().toISOString(), data: {} });
    for (const watcher of [kioskB, auditor]) {
      await watcher.waitFor((m) => m.topic.endsWith('/devices/barrier/events/done'), 'the barrier');
    }
    expect(kioskB.messages.filter((m) => m.topic.includes('/clients/'))).toEqual([]);
    expect(kioskB.messages.filter((m) => m.payload.includes('21000042'))).toEqual([]);
    // The gateway never published an answer where requests go (it would be taken for one); what it
    // does publish there is the empty payload that clears a request a client may have retained.
    expect(
      auditor.messages.filter(
        (m) => m.topic.includes('/request/') && (m.json as MqttResponse | undefined)?.status,
      ),
    ).toEqual([]);
  });

  it.each([5, 4] as const)(
    'MQTT %i: a client id is the user name: kiosk B asking for kiosk A’s id neither drops A nor reads its area',
    async (protocolVersion) => {
      const { mosquitto, stop } = await startSecuredMosquitto(protocolVersion);
      cleanups.push(stop);
      const kioskA = await connect(mosquitto.url, {
        protocolVersion,
        clientId: ASKER,
        ...credentialOf(ASKER),
      });
      await kioskA.subscribe(`${BASE}/clients/${ASKER}/response/#`);
      const kioskB = await connect(mosquitto.url, {
        protocolVersion,
        clientId: ASKER,
        ...credentialOf('kiosk-b'),
      });
      await kioskB.client.subscribeAsync(['#', `${BASE}/clients/${ASKER}/#`], { qos: 1 }).catch(() => {});
      // B's own request topic is under its user name, not the id it asked for.
      await kioskB
        .publish(`${BASE}/clients/${ASKER}/request/circulation.patron`, JSON.stringify({ transaction: 'b' }))
        .catch(() => {});
      expect(kioskA.client.connected).toBe(true);
      await kioskA.publish(
        `${BASE}/clients/${ASKER}/request/circulation.patron`,
        JSON.stringify({ transaction: 'a', data: { patron: '21000042', pin: PIN } }),
      );
      await kioskA.waitFor((m) => (m.json as MqttResponse).transaction === 'a', 'kiosk A’s answer');
      expect(kioskA.messages.map((m) => (m.json as MqttResponse).transaction)).toEqual(['a']);
      await kioskB.publish(`${BASE}/clients/kiosk-b/request/circulation.patron`, '{"transaction":"b-own"}');
      await kioskB.waitFor((m) => (m.json as MqttResponse).transaction === 'b-own', 'kiosk B’s own answer');
      expect(kioskB.messages.filter((m) => m.topic.includes(`/clients/${ASKER}/`))).toEqual([]);
    },
  );
});

describe.skipIf(skipReason !== undefined)('carrel mqtt forget, on Mosquitto with Carrel’s ACL', () => {
  it('clears a stopped desk’s retained state, totals and devices from the broker, and refuses an online one', async () => {
    const { mosquitto, api, stop } = await startSecuredMosquitto(5);
    const dir = mkdtempSync(join(tmpdir(), 'carrel-forget-'));
    try {
      const config = join(dir, 'carrel.yaml');
      // Its own HTTP port, which no Carrel holds: the command asks there whether this desk runs.
      const port = await freePort();
      writeFileSync(
        config,
        `${gatewayConfigYaml().replace('mqtt://127.0.0.1:1883', mosquitto.url)}http:\n  port: ${port}\n`,
      );
      const retainedUnder = async (): Promise<string[]> => {
        const auditor = await Observer.connect(mosquitto.url, { protocolVersion: 5, ...AUDITOR });
        try {
          await auditor.subscribe(`${BASE}/#`);
          // Mosquitto queues a subscription's retained messages right after its SUBACK, before it
          // reads the client's next packet: a second subscription's SUBACK comes after them all
          // (a fixed 500 ms wait did this before).
          await auditor.subscribe('carrel-test/after-the-retained');
          return auditor.messages
            .filter((m) => m.retain && m.payload.length > 0)
            .map((m) => m.topic)
            .sort();
        } finally {
          await auditor.close();
        }
      };
      expect(await retainedUnder()).toEqual([`${BASE}/devices/receipt-1/state`, `${BASE}/state`]);

      // The desk is online (here, or on another PC): nothing is touched.
      // Not spawnSync: the desk runs in this process and must be free to reconnect meanwhile.
      const online = await runCarrel(['mqtt', 'forget', '--config', config], { cwd: dir });
      expect(online.code).toBe(1);
      expect(online.stderr).toContain(`${BASE} is online`);
      // The broker names clients by user: logging in as the desk dropped it for a moment; it is back.
      await until(() => (api.connected ? true : undefined), 5000, 'the desk back on the broker');
      await api.stop();
      expect(await retainedUnder()).toEqual([`${BASE}/devices/receipt-1/state`, `${BASE}/state`]);

      // Stopped (its state says offline): everything it kept is cleared.
      const forgotten = carrel(dir, ['mqtt', 'forget', '--config', config, '--json']);
      expect(forgotten.stderr).toBe('');
      expect(forgotten.status).toBe(0);
      expect(JSON.parse(forgotten.stdout)).toEqual({
        base: BASE,
        cleared: expect.arrayContaining([`${BASE}/state`, `${BASE}/devices/receipt-1/state`]),
        lastStatus: 'offline',
      });
      expect(await retainedUnder()).toEqual([]);
      expect(forgotten.stdout).not.toContain('gateway-password');
      const again = carrel(dir, ['mqtt', 'forget', '--config', config]);
      expect(again.stdout).toContain('nothing retained on the broker');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await stop();
    }
  }, 60_000);
});
