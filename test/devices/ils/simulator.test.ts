import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { sampleKioskClient } from '../../helpers/sample-ils.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';

let simulator: IlsSimulator | undefined;
let client: IlsClient | undefined;

afterEach(async () => {
  await client?.disconnect();
  await simulator?.close();
  client = undefined;
  simulator = undefined;
});

describe('SIP2 client against the ILS simulator', () => {
  it.each([
    ['kiosk1', 'kiosk1pw', 'utf-8', true, 'CR'],
    ['legacy850', 'legacypw', 'ibm850', true, 'CR'],
    ['koha-style', 'kohapw', 'utf-8', true, 'CRLF'],
    ['sorter', 'sorterpw', 'ascii', false, 'CR'],
    ['desk-latin1', 'deskpw', 'iso-8859-1', true, 'CR'],
  ] as const)(
    'account %s (%s): patron names with diacritics arrive intact',
    async (user, password, charset, errorDetection, terminator) => {
      simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
      client = sampleKioskClient(simulator.port, { user, password, charset, errorDetection, terminator });
      await client.connect();
      const answer = await client.patronInformation('21000002', { pin: '2222' });
      expect(answer.message).toMatchObject({ validPatron: true, validPatronPassword: true });
      expect(answer.message.personalName).toBe(charset === 'ascii' ? 'Emile Cote' : 'Émile Côté');
      expect(answer.checksum).toBe(errorDetection ? 'valid' : 'absent');
    },
  );

  it('checks out, looks up and checks in through a pool of connections', async () => {
    simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
    client = sampleKioskClient(simulator.port, { pool: { size: 3, maxWaiting: 10 } });
    await client.connect();
    const checkout = await client.checkout('21000009', '31000006', { pin: '9999' });
    expect(checkout.message).toMatchObject({ ok: true, itemIdentifier: '31000006' });
    const [item, patron] = await Promise.all([
      client.itemInformation('31000006'),
      client.patronInformation('21000009', { summary: 'chargedItems' }),
    ]);
    expect(item.message.circulationStatus.name).toBe('charged');
    expect(patron.message.chargedItems).toContain('31000006');
    const checkin = await client.checkin('31000006');
    expect(checkin.message).toMatchObject({ ok: true, itemIdentifier: '31000006' });
    expect(simulator.connections).toBe(3);
  });

  it('logs in again by itself after the ILS drops idle connections', async () => {
    const simulatorClock = new ManualClock();
    simulator = await startIlsSimulator({
      fixture: sampleFixturePath(),
      clock: simulatorClock,
      faults: { idleTimeoutMs: 60_000 },
    });
    client = sampleKioskClient(simulator.port);
    await client.connect();
    const lost = new Promise((resolve) => client!.pool.once('event', resolve));
    await simulatorClock.advance(60_000);
    expect(await lost).toBe('connection_lost');
    const answer = await client.itemInformation('31000001');
    expect(answer.message.itemIdentifier).toBe('31000001');
  });

  it('keeps a plain-text line sent before the answer as a warning', async () => {
    simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
    client = sampleKioskClient(simulator.port);
    await client.connect();
    simulator.setFaults({ garbageLine: 'Error: database busy' });
    const answer = await client.itemInformation('31000001');
    expect(answer.message.itemIdentifier).toBe('31000001');
    expect(answer.warnings.map((w) => w.code)).toContain('trailing_text');
  });
});

describe.skipIf(!hasOpenssl)('SIP2 client over TLS', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-ils-client-tls-'));
    makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tlsSimulator(): Promise<IlsSimulator> {
    return startIlsSimulator({
      fixture: sampleFixturePath(),
      tls: { key: readFileSync(join(dir, 'localhost.key')), cert: readFileSync(join(dir, 'localhost.pem')) },
    });
  }

  it('talks SIP2 over TLS trusting the CA file, checking the server name', async () => {
    simulator = await tlsSimulator();
    client = sampleKioskClient(simulator.port, {
      tls: { caFile: join(dir, 'localhost.pem'), serverName: 'localhost' },
    });
    await client.connect();
    const answer = await client.status();
    expect(answer.message).toMatchObject({ type: 'acsStatus', onlineStatus: true });
  });

  it('refuses a server certificate it cannot verify', async () => {
    simulator = await tlsSimulator();
    client = sampleKioskClient(simulator.port, { tls: { serverName: 'localhost' } });
    await expect(client.connect()).rejects.toMatchObject({ code: expect.stringMatching(/self_signed/) });
  });

  it('says the CA file holds no certificate when a private key is named as the CA, before dialling', async () => {
    simulator = await tlsSimulator();
    client = sampleKioskClient(simulator.port, {
      tls: { caFile: join(dir, 'localhost.key'), serverName: 'localhost' },
    });
    await expect(client.connect()).rejects.toMatchObject({
      code: 'tls_file',
      message: expect.stringContaining(
        `the TLS CA file ${join(dir, 'localhost.key')} holds no PEM certificate: it holds a private key`,
      ),
    });
  });

  it('says which TLS file it cannot read', async () => {
    simulator = await tlsSimulator();
    client = sampleKioskClient(simulator.port, { tls: { caFile: join(dir, 'missing.pem') } });
    await expect(client.connect()).rejects.toMatchObject({ code: 'tls_file' });
  });
});
