/**
 * The ILS simulator over real TCP: raw sockets speaking SIP2, frames built and
 * read with the codec.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import { formatSip2Date } from '../../../src/protocols/sip2/index.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const TZ = 'Europe/Stockholm';
const now = () => new Date(START);
const sipDate = (ms: number) => formatSip2Date(new Date(ms), { timeZone: TZ });

let simulator: IlsSimulator;
let client: Sip2TestClient;

beforeEach(async () => {
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, clock: new ManualClock(START) });
  client = await Sip2TestClient.connect(simulator.port, { timeZone: TZ });
});

afterEach(async () => {
  client.close();
  await simulator.close();
});

const AO = 'RIVERSIDE';

describe('session', () => {
  it('answers 99 before login with the ACS status and the BX it supports', async () => {
    const status = await client.request(
      { type: 'scStatus', statusCode: 'ok', maxPrintWidth: 40, protocolVersion: '2.00' },
      'acsStatus',
    );
    expect(status).toMatchObject({
      onlineStatus: true,
      checkinOk: true,
      checkoutOk: true,
      acsRenewalPolicy: true,
      offlineOk: false,
      timeoutPeriod: 30,
      retriesAllowed: 3,
      protocolVersion: '2.00',
      institutionId: AO,
      libraryName: 'Riverside Public Library',
      dateTimeSync: sipDate(START),
    });
    expect(Object.values(status.supportedMessages).every(Boolean)).toBe(true);
  });

  it('logs in, echoing the sequence number with a valid checksum', async () => {
    client.send({
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: 'kiosk1',
      loginPassword: 'kiosk1pw',
      locationCode: 'MAIN',
      sequence: 4,
    });
    const { frame } = await client.nextFrame();
    const result = client.decode(frame);
    expect(result.ok && result.checksum).toBe('valid');
    expect(result.ok && result.message).toMatchObject({ type: 'loginResponse', ok: true, sequence: 4 });
  });

  it('drops the link when a request other than 99 comes before login', async () => {
    client.send({
      type: 'itemInformation',
      transactionDate: now(),
      institutionId: AO,
      itemIdentifier: '31000001',
    });
    await client.closed;
    expect(client.bufferedFrames).toBe(0);
  });

  it('refuses a wrong password and drops the link after three failed logins', async () => {
    expect(await client.login('kiosk1', 'wrong')).toBe(false);
    expect(await client.login('nobody', 'kiosk1pw')).toBe(false);
    expect(await client.login('kiosk1', 'again wrong')).toBe(false);
    await client.closed;
  });

  it('resends its last response on 97, and asks for a resend (96) on a bad checksum', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    client.send({
      type: 'itemInformation',
      transactionDate: now(),
      institutionId: AO,
      itemIdentifier: '31000005',
    });
    const first = await client.nextFrame();
    client.sendRaw('97AZFEF5\r');
    const again = await client.nextFrame();
    expect(again.frame.equals(first.frame)).toBe(true);

    const good = Buffer.from(
      client.encode({
        type: 'itemInformation',
        transactionDate: now(),
        institutionId: AO,
        itemIdentifier: '31000005',
      }),
    );
    good[good.length - 2] = good[good.length - 2] === 0x30 ? 0x31 : 0x30; // break the last checksum digit
    client.sendRaw(good);
    expect(await client.next()).toMatchObject({ type: 'requestScResend' });
    // The link stays usable.
    expect(await client.login('kiosk1', 'kiosk1pw')).toBe(true);
  });

  it('ignores a line that is not SIP2 and keeps the link', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    client.sendRaw('hello there\r');
    const status = await client.request(
      { type: 'scStatus', statusCode: 'ok', maxPrintWidth: 40, protocolVersion: '2.00' },
      'acsStatus',
    );
    expect(status.onlineStatus).toBe(true);
  });

  it('refuses messages the fixture marks unsupported (acs.unsupportedAnswer), and says so in BX', async () => {
    simulator.state.fixture.acs.unsupportedMessages = ['renewAll'];
    await client.login('kiosk1', 'kiosk1pw');
    const refused = await client.request(
      { type: 'renewAll', transactionDate: now(), institutionId: AO, patronIdentifier: '21000001' },
      'renewAllResponse',
    );
    expect(refused).toMatchObject({ ok: false, screenMessage: ['Not supported'] });
    const status = await client.request(
      { type: 'scStatus', statusCode: 'ok', maxPrintWidth: 40, protocolVersion: '2.00' },
      'acsStatus',
    );
    expect(status.supportedMessages.renewAll).toBe(false);
    expect(status.supportedMessages.renew).toBe(true);
  });

  it('ends a patron session', async () => {
    await client.login('kiosk1', 'kiosk1pw');
    const end = await client.request(
      { type: 'endPatronSession', transactionDate: now(), institutionId: AO, patronIdentifier: '21000001' },
      'endSessionResponse',
    );
    expect(end).toMatchObject({ endSession: true, patronIdentifier: '21000001' });
  });
});
