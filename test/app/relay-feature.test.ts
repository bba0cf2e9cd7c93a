/**
 * The relay feature counts what it relays into the desk statistics it is given:
 * a self-check over real TCP, the relay feature, the ILS simulator.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { relayFeatureFor } from '../../src/app/relay-feature.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { IlsClient } from '../../src/devices/ils/index.js';
import type { IlsPort } from '../../src/gateway/families/ils/index.js';
import type { DeviceEntry } from '../../src/gateway/family.js';
import { parseSip2RelayConfig } from '../../src/gateway/relay/index.js';
import { DeskStatistics } from '../../src/gateway/statistics/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { TRANSCRIPT_DATE as D, KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import { sampleKioskClient } from '../helpers/sample-ils.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('RelayFeature statistics', () => {
  it('counts relayed checkouts per relay account into the statistics it is wired to', async () => {
    const simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
    cleanups.push(() => simulator.close());
    const client = sampleKioskClient(simulator.port);
    await client.connect();
    cleanups.push(() => client.disconnect());
    const db = openDatabase(':memory:');
    cleanups.push(() => {
      db.close();
    });
    const statistics = new DeskStatistics(db);

    const relay = relayFeatureFor(
      parseSip2RelayConfig({ port: 0, accounts: [{ kioskUser: 'selfcheck-7', kioskPassword: 'pw7' }] }),
      { id: 'ils', port: { client } } as unknown as DeviceEntry<IlsPort>,
      systemClock,
      silentLogger(),
      undefined,
      (transaction) => statistics.record(transaction),
    )!;
    await relay.start();
    cleanups.push(() => relay.stop());

    const kiosk = await KioskLink.open(relay.port!);
    cleanups.push(() => kiosk.close());
    await kiosk.request(withErrorDetection('9300CNselfcheck-7|COpw7|CPMAIN|', 0));
    const answer = await kiosk.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000009|AB31000005|AC|AD9999|`, 1),
    );
    expect(answer?.toString('latin1')).toMatch(/^121/);

    const now = Date.now();
    const report = statistics.query({
      from: now - 3_600_000,
      to: now + 3_600_000,
      groupBy: ['terminal', 'kind'],
    });
    expect(report.rows).toEqual([
      { terminal: 'selfcheck-7', kind: 'checkout', outcome: 'ok', offline: false, count: 1 },
    ]);
  });

  it('relays through an account of its own again once the ILS answers after a hang', async () => {
    const simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
    cleanups.push(() => simulator.close());
    const proxy = await StallingProxy.start(simulator.port);
    cleanups.push(() => proxy.close());
    const client = sampleKioskClient(proxy.port, { heartbeatSeconds: 1, requestTimeoutMs: 200 });
    await client.connect();
    cleanups.push(() => client.disconnect());
    const relay = relayFeatureFor(
      parseSip2RelayConfig({
        port: 0,
        accounts: [
          { kioskUser: 'selfcheck-7', kioskPassword: 'pw7', ilsUser: 'kiosk-east', ilsPassword: 'eastpw' },
        ],
      }),
      { id: 'ils', port: { client } } as unknown as DeviceEntry<IlsPort>,
      systemClock,
      silentLogger(),
    )!;
    await relay.start();
    cleanups.push(() => relay.stop());
    const kiosk = await KioskLink.open(relay.port!);
    cleanups.push(() => kiosk.close());
    let sequence = 0;
    const ask = async (text: string) =>
      (await kiosk.request(withErrorDetection(text, sequence++ % 10)))?.toString('latin1') ?? '';
    expect(await ask('9300CNselfcheck-7|COpw7|CPEAST|')).toMatch(/^941/);
    /** SC status through the account's link: 98Y… from the ILS, 98N… answered offline by the relay. */
    const status = () => ask('9900302.00');
    expect(await status()).toMatch(/^98Y/);

    proxy.stall();
    // Unanswered, then known offline: the relay answers for the ILS.
    await expect.poll(status, { timeout: 5000, interval: 50 }).toMatch(/^98N/);
    proxy.resume();
    // The account's link is reconnected by itself: the ILS answers again.
    await expect.poll(status, { timeout: 5000, interval: 100 }).toMatch(/^98Y/);
  });

  it('writes each relay line with one module key, as a log shipper parses JSON', async () => {
    const simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
    cleanups.push(() => simulator.close());
    const client = IlsClient.create({ host: '127.0.0.1', port: simulator.port, heartbeatSeconds: 0 });
    await client.connect();
    cleanups.push(() => client.disconnect());
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    const relay = relayFeatureFor(
      parseSip2RelayConfig({ port: 0, accounts: [{ kioskUser: 'selfcheck-7', kioskPassword: 'pw7' }] }),
      { id: 'ils', port: { client } } as unknown as DeviceEntry<IlsPort>,
      systemClock,
      createLogger({ format: 'json', destination }),
    )!;
    await relay.start();
    cleanups.push(() => relay.stop());
    const kiosk = await KioskLink.open(relay.port!);
    cleanups.push(() => kiosk.close());
    await kiosk.request(withErrorDetection('9300CNselfcheck-7|COpw7|CPMAIN|', 0));
    const relayLines = lines.filter((line) => /SIP2 relay listening|self-check logged in/.test(line));
    expect(relayLines).toHaveLength(2);
    for (const line of relayLines) {
      // Elasticsearch refuses a document naming a field twice; JSON.parse keeps the last quietly.
      expect(line.match(/"module":/g), line).toHaveLength(1);
      expect(JSON.parse(line)).toMatchObject({ module: 'sip2-relay' });
    }
  });
});
