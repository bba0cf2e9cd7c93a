import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const AO = 'RIVERSIDE';
const now = new Date(START);

const patronStatus = (patron: string) =>
  ({
    type: 'patronStatusRequest',
    language: 'english',
    transactionDate: now,
    institutionId: AO,
    patronIdentifier: patron,
    terminalPassword: '',
    patronPassword: '',
  }) as const;

describe('per-account links', () => {
  let simulator: IlsSimulator;
  let client: Sip2TestClient | undefined;

  beforeEach(async () => {
    simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, clock: new ManualClock(START) });
  });
  afterEach(async () => {
    client?.close();
    await simulator.close();
  });

  it('IBM850: names go out as code page 850 bytes, checksummed over those bytes, and come back in', async () => {
    client = await Sip2TestClient.connect(simulator.port, { charset: 'ibm850' });
    expect(await client.login('legacy850', 'legacypw')).toBe(true);
    client.send(patronStatus('21000001'));
    const { frame } = await client.nextFrame();
    // Zoë Åström: ë = 0x89, Å = 0x8F, ö = 0x94 in CP850.
    expect(frame.includes(Buffer.from([0x5a, 0x6f, 0x89, 0x20, 0x8f, 0x73, 0x74, 0x72, 0x94, 0x6d]))).toBe(
      true,
    );
    const decoded = client.decode(frame);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(decoded.ok && decoded.message).toMatchObject({ personalName: 'Zoë Åström' });

    // A request with non-ASCII text, checksummed in CP850: a hold by title.
    const hold = await client.request(
      {
        type: 'hold',
        holdMode: 'add',
        transactionDate: now,
        institutionId: AO,
        patronIdentifier: '21000006',
        titleIdentifier: 'Cien años de soledad',
      },
      'holdResponse',
    );
    expect(hold).toMatchObject({
      ok: true,
      itemIdentifier: '31000007',
      titleIdentifier: 'Cien años de soledad',
    });
  });

  it('ISO-8859-1: one byte per accented letter', async () => {
    client = await Sip2TestClient.connect(simulator.port, { charset: 'iso-8859-1' });
    expect(await client.login('desk-latin1', 'deskpw')).toBe(true);
    client.send(patronStatus('21000002'));
    const { frame } = await client.nextFrame();
    expect(frame.includes(Buffer.from('Émile Côté', 'latin1'))).toBe(true);
    expect(client.decode(frame)).toMatchObject({ ok: true, checksum: 'valid' });
  });

  it('ASCII without error detection: diacritics stripped, no AY/AZ, client checksums ignored', async () => {
    client = await Sip2TestClient.connect(simulator.port, { charset: 'ascii' });
    expect(await client.login('sorter', 'sorterpw')).toBe(true);
    client.errorDetection = false;
    client.send(patronStatus('21000001'));
    const { frame } = await client.nextFrame();
    expect(frame.toString('latin1')).toContain('AEZoe Astrom|');
    expect(frame.toString('latin1')).not.toContain('AZ');
    // A wrong checksum is not this link's business: no 96.
    client.errorDetection = true;
    const withChecksum = Buffer.from(client.encode({ ...patronStatus('21000001'), sequence: 1 }));
    withChecksum[withChecksum.length - 2] = withChecksum[withChecksum.length - 2] === 0x30 ? 0x31 : 0x30;
    client.errorDetection = false;
    client.sendRaw(withChecksum);
    expect(await client.next()).toMatchObject({ type: 'patronStatusResponse', personalName: 'Zoe Astrom' });
  });

  it('CR LF account: responses end with CR LF, and CR LF requests are read', async () => {
    client = await Sip2TestClient.connect(simulator.port, { terminator: '\r\n' });
    client.send({
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: 'koha-style',
      loginPassword: 'kohapw',
    });
    await client.next();
    client.send(patronStatus('21000001'));
    const { raw } = await client.nextFrame();
    expect(raw.subarray(-2).toString('latin1')).toBe('\r\n');
    expect(client.received.subarray(-2).toString('latin1')).toBe('\r\n');
  });

  it('the account decides the CR terminator after a login', async () => {
    client = await Sip2TestClient.connect(simulator.port);
    await client.login('kiosk-east', 'eastpw');
    client.send({
      type: 'checkin',
      noBlock: false,
      transactionDate: now,
      returnDate: now,
      currentLocation: '',
      institutionId: AO,
      itemIdentifier: '31000025',
      terminalPassword: '',
    });
    const { raw, frame } = await client.nextFrame();
    expect(raw.subarray(-1).toString('latin1')).toBe('\r');
    // The EAST kiosk checks in an EAST item: no transit.
    expect(client.decode(frame)).toMatchObject({ ok: true, message: { alert: false } });
  });
});

describe.skipIf(!hasOpenssl)('SIP2 over TLS (certificate from openssl req -x509)', () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-ils-tls-'));
    makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    key = readFileSync(join(dir, 'localhost.key'));
    cert = readFileSync(join(dir, 'localhost.pem'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in and answers over TLS; a plain TCP client gets nothing', async () => {
    const simulator = await startIlsSimulator({
      fixture: SAMPLE_FIXTURE,
      tls: { key, cert },
      clock: new ManualClock(START),
    });
    try {
      expect(simulator.url).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
      const client = await Sip2TestClient.connect(simulator.port, { tlsCa: cert });
      expect(await client.login('kiosk1', 'kiosk1pw')).toBe(true);
      const status = await client.request(patronStatus('21000001'), 'patronStatusResponse');
      expect(status.personalName).toBe('Zoë Åström');
      client.close();

      const plain = await Sip2TestClient.connect(simulator.port);
      plain.send({
        type: 'login',
        uidAlgorithm: '0',
        pwdAlgorithm: '0',
        loginUserId: 'kiosk1',
        loginPassword: 'kiosk1pw',
      });
      await plain.closed;
      expect(plain.bufferedFrames).toBe(0);
    } finally {
      await simulator.close();
    }
  });
});
