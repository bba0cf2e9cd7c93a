/**
 * What real ILSes send and kiosks rely on, expressed in the fixture
 * (docs/ils-fixture.md) and served over real TCP: the patron extension fields of
 * a 64, a privilege a patron enable (25) restores, items without a branch, "no
 * limit", the 98's library name and checkin/checkout flags, error detection per
 * request, the answer to a message BX calls unsupported, and a 99 before login.
 */
import { describe, expect, it } from 'vitest';
import type { IlsFixtureInput } from '../../../simulators/ils/fixture.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { AnySip2MessageInput } from '../../../src/protocols/sip2/index.js';
import { simulatorLinkPerTest } from './link-per-test.js';
import { sampleFixtureInput } from './sample.js';
import { checkinMessage, type Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const TZ = 'Europe/Stockholm';
const now = () => new Date(START);
const AO = 'RIVERSIDE';

const ils = simulatorLinkPerTest();

async function serve(
  change: (fixture: IlsFixtureInput) => void = () => {},
  options: { errorDetection?: boolean } = {},
): Promise<Sip2TestClient> {
  const fixture = sampleFixtureInput();
  change(fixture);
  return ils.start(fixture, new ManualClock(START), { timeZone: TZ, ...options });
}

const scStatus: AnySip2MessageInput = {
  type: 'scStatus',
  statusCode: 'ok',
  maxPrintWidth: 40,
  protocolVersion: '2.00',
};
const patronInformation = (patron: string): AnySip2MessageInput => ({
  type: 'patronInformation',
  language: 'english',
  transactionDate: now(),
  summary: null,
  institutionId: AO,
  patronIdentifier: patron,
});
const itemInformation = (item: string): AnySip2MessageInput => ({
  type: 'itemInformation',
  transactionDate: now(),
  institutionId: AO,
  itemIdentifier: item,
});
const checkout = (patron: string, item: string): AnySip2MessageInput => ({
  type: 'checkout',
  scRenewalPolicy: false,
  noBlock: false,
  transactionDate: now(),
  institutionId: AO,
  patronIdentifier: patron,
  itemIdentifier: item,
  terminalPassword: '',
});
const checkin = (item: string): AnySip2MessageInput => checkinMessage(item, now());
const extras = (message: { extraFields?: Array<{ id: string; value: string }> }) =>
  Object.fromEntries((message.extraFields ?? []).map((field) => [field.id, field.value]));

describe('patron extension fields in the 64', () => {
  it('PB birth date, PC patron type, PI internet privileges, AQ home library, PA expiry', async () => {
    const link = await serve((fixture) => {
      Object.assign(fixture.patrons!.find((p) => p.barcode === '21000009')!, {
        birthDate: '1964-09-25',
        patronType: 'Adult',
        internetPrivileges: 'Unfiltered',
        expires: '2027-01-31',
      });
    });
    await link.login('kiosk1', 'kiosk1pw');
    const info = await link.request(patronInformation('21000009'), 'patronInformationResponse');
    expect(extras(info)).toMatchObject({
      PB: '19640925',
      PC: 'Adult',
      PI: 'Unfiltered',
      AQ: 'EAST',
      PA: '20270131',
    });
  });

  it('leaves out what the patron does not have, and sends none for an unknown patron', async () => {
    const link = await serve();
    await link.login('kiosk1', 'kiosk1pw');
    const plain = await link.request(patronInformation('21000009'), 'patronInformationResponse');
    expect(Object.keys(extras(plain)).sort()).toEqual(['AQ', 'PA']);
    const unknown = await link.request(patronInformation('nobody'), 'patronInformationResponse');
    expect(unknown.extraFields).toBeUndefined();
  });
});

describe('a privilege suspended until a patron enable (25)', () => {
  it('denies it in the status, refuses what it covers, and 25 restores it', async () => {
    const link = await serve((fixture) => {
      fixture.patrons!.find((p) => p.barcode === '21000009')!.suspendedPrivileges = ['charge', 'hold'];
    });
    await link.login('kiosk1', 'kiosk1pw');
    const before = await link.request(patronInformation('21000009'), 'patronInformationResponse');
    expect(before.patronStatus).toMatchObject({
      chargePrivilegesDenied: true,
      holdPrivilegesDenied: true,
      renewalPrivilegesDenied: false,
    });
    expect((await link.request(checkout('21000009', '31000005'), 'checkoutResponse')).ok).toBe(false);
    const enabled = await link.request(
      { type: 'patronEnable', transactionDate: now(), institutionId: AO, patronIdentifier: '21000009' },
      'patronEnableResponse',
    );
    expect(enabled.patronStatus).toMatchObject({
      chargePrivilegesDenied: false,
      holdPrivilegesDenied: false,
    });
    expect((await link.request(checkout('21000009', '31000005'), 'checkoutResponse')).ok).toBe(true);
  });
});

describe('an item without a branch location', () => {
  it('18 leaves AQ and AP out; 10 sends AQ empty (required) and no "send home" alert', async () => {
    const link = await serve((fixture) => {
      fixture.items!.push({ barcode: '39000001', title: 'Uncatalogued donation' });
    });
    await link.login('kiosk1', 'kiosk1pw');
    const info = await link.request(itemInformation('39000001'), 'itemInformationResponse');
    expect(info.permanentLocation).toBeUndefined();
    expect(info.currentLocation).toBeUndefined();
    expect(info.circulationStatus.code).toBe('03');
    expect((await link.request(checkout('21000009', '39000001'), 'checkoutResponse')).ok).toBe(true);
    const back = await link.request(checkin('39000001'), 'checkinResponse');
    expect(back).toMatchObject({ ok: true, alert: false, permanentLocation: '' });
    const after = await link.request(itemInformation('39000001'), 'itemInformationResponse');
    expect(after.currentLocation).toBe('MAIN');
  });
});

describe('"no limit" for loans, renewals and fees', () => {
  it('none: no CB or CC in the 64, never "too many items charged", renewals without end', async () => {
    const link = await serve((fixture) => {
      Object.assign(fixture.circulation!, { loanLimit: 'none', renewalLimit: 'none', fineThreshold: 'none' });
    });
    await link.login('kiosk1', 'kiosk1pw');
    const bjorn = await link.request(patronInformation('21000003'), 'patronInformationResponse');
    expect(bjorn.chargedItemsLimit).toBeUndefined();
    expect(bjorn.feeLimit).toBeUndefined();
    // Owing 12.50 blocks nothing without a threshold.
    expect(bjorn.patronStatus.chargePrivilegesDenied).toBe(false);
    for (let i = 0; i < 5; i++) {
      const renewed = await link.request(
        {
          type: 'renew',
          thirdPartyAllowed: false,
          noBlock: false,
          transactionDate: now(),
          institutionId: AO,
          patronIdentifier: '21000001',
          itemIdentifier: '31000002',
        },
        'renewResponse',
      );
      expect(renewed.ok).toBe(true);
    }
  });
});

describe('the 98', () => {
  it('AM from acs.libraryName, or the account’s own; "" leaves AM out', async () => {
    const link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, libraryName: 'Riverside Libraries' };
      fixture.accounts.find((a) => a.loginUserId === 'kiosk-east')!.libraryName = 'East Branch Library';
      fixture.accounts.find((a) => a.loginUserId === 'koha-style')!.libraryName = '';
    });
    expect((await link.request(scStatus, 'acsStatus')).libraryName).toBe('Riverside Libraries');
    await link.login('kiosk-east', 'eastpw');
    expect((await link.request(scStatus, 'acsStatus')).libraryName).toBe('East Branch Library');
    await link.login('koha-style', 'kohapw');
    const { frame } = await (async () => {
      link.send(scStatus);
      return link.nextFrame();
    })();
    expect(frame.toString('utf8')).not.toContain('|AM');
  });

  it('checkin ok / checkout ok as the fixture says; a request the ACS does not allow is refused', async () => {
    const link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, checkinOk: false };
      fixture.accounts.find((a) => a.loginUserId === 'kiosk-east')!.checkoutOk = false;
    });
    await link.login('kiosk1', 'kiosk1pw');
    expect(await link.request(scStatus, 'acsStatus')).toMatchObject({ checkinOk: false, checkoutOk: true });
    const refused = await link.request(checkin('31000001'), 'checkinResponse');
    expect(refused).toMatchObject({ ok: false, screenMessage: ['Checkin is not allowed here'] });
    expect(ils.simulator().state.item('31000001')?.loan).toBeDefined();
    await link.login('kiosk-east', 'eastpw');
    expect(await link.request(scStatus, 'acsStatus')).toMatchObject({ checkinOk: false, checkoutOk: false });
    const noCheckout = await link.request(checkout('21000009', '31000005'), 'checkoutResponse');
    expect(noCheckout).toMatchObject({ ok: false, screenMessage: ['Checkout is not allowed here'] });
  });
});

describe('error detection per request (errorDetection: perRequest)', () => {
  it('answers with AY/AZ when the request carried them, without when it did not', async () => {
    const link = await serve((fixture) => {
      fixture.accounts.push({
        loginUserId: 'mixed',
        password: 'mixedpw',
        location: 'MAIN',
        institution: AO,
        errorDetection: 'perRequest',
      });
    });
    await link.login('mixed', 'mixedpw');
    link.send(scStatus);
    const withChecks = (await link.nextFrame()).frame.toString('latin1');
    expect(withChecks).toMatch(/AY\dAZ[0-9A-F]{4}$/);
    link.errorDetection = false;
    link.send(scStatus);
    const without = (await link.nextFrame()).frame.toString('latin1');
    expect(without).not.toMatch(/AY\d/);
    expect(without).not.toContain('AZ');
  });
});

describe('a message BX calls unsupported', () => {
  const renewAll: AnySip2MessageInput = {
    type: 'renewAll',
    transactionDate: now(),
    institutionId: AO,
    patronIdentifier: '21000001',
  };

  it('is refused by default: its answer, nothing done, "Not supported"', async () => {
    const link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, unsupportedMessages: ['renewAll'] };
    });
    await link.login('kiosk1', 'kiosk1pw');
    const answer = await link.request(renewAll, 'renewAllResponse');
    expect(answer).toMatchObject({
      ok: false,
      renewedCount: 0,
      unrenewedCount: 0,
      screenMessage: ['Not supported'],
    });
    expect(ils.simulator().state.item('31000001')?.loan?.renewals).toBe(0);
  });

  it('unsupportedAnswer: drop closes the connection; silence answers nothing', async () => {
    let link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, unsupportedMessages: ['renewAll'], unsupportedAnswer: 'drop' };
    });
    await link.login('kiosk1', 'kiosk1pw');
    link.send(renewAll);
    await link.closed;
    expect(link.bufferedFrames).toBe(0);
    link.close();
    await ils.simulator().close();

    link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, unsupportedMessages: ['renewAll'], unsupportedAnswer: 'silence' };
    });
    await link.login('kiosk1', 'kiosk1pw');
    link.send(renewAll);
    expect((await link.request(scStatus, 'acsStatus')).supportedMessages.renewAll).toBe(false);
  });
});

describe('a 99 before login (acs.scStatusBeforeLogin)', () => {
  it('answer (the default) answers it; ignore reads it and answers nothing; drop closes the link', async () => {
    let link = await serve();
    expect((await link.request(scStatus, 'acsStatus')).onlineStatus).toBe(true);
    link.close();
    await ils.simulator().close();

    link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, scStatusBeforeLogin: 'ignore' };
    });
    link.send(scStatus);
    expect(await link.login('kiosk1', 'kiosk1pw')).toBe(true);
    expect((await link.request(scStatus, 'acsStatus')).onlineStatus).toBe(true);
    link.close();
    await ils.simulator().close();

    link = await serve((fixture) => {
      fixture.acs = { ...fixture.acs, scStatusBeforeLogin: 'drop' };
    });
    link.send(scStatus);
    await link.closed;
    expect(link.bufferedFrames).toBe(0);
  });
});
