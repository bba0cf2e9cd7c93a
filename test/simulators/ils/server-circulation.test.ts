/**
 * The ILS simulator over real TCP: raw sockets speaking SIP2, frames built and
 * read with the codec.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import { formatSip2Date } from '../../../src/protocols/sip2/index.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { checkinMessage, patronStatusMessage, Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const DAY = 86_400_000;
const TZ = 'Europe/Stockholm';
const now = () => new Date(START);
const sipDate = (ms: number) => formatSip2Date(new Date(ms), { timeZone: TZ });

let simulator: IlsSimulator;
let client: Sip2TestClient;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(START);
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, clock });
  client = await Sip2TestClient.connect(simulator.port, { timeZone: TZ });
});

afterEach(async () => {
  client.close();
  await simulator.close();
});

const AO = 'RIVERSIDE';

describe('items and circulation', () => {
  beforeEach(async () => {
    await client.login('kiosk1', 'kiosk1pw');
  });

  const checkout = (patron: string, item: string, extra: Record<string, unknown> = {}) =>
    client.request(
      {
        type: 'checkout',
        scRenewalPolicy: true,
        noBlock: false,
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: patron,
        itemIdentifier: item,
        terminalPassword: '',
        ...extra,
      },
      'checkoutResponse',
    );
  const checkin = (item: string) => client.request(checkinMessage(item, now()), 'checkinResponse');

  it('17: item information for a charged, a held and an unknown item', async () => {
    const charged = await client.request(
      { type: 'itemInformation', transactionDate: now(), institutionId: AO, itemIdentifier: '31000001' },
      'itemInformationResponse',
    );
    expect(charged).toMatchObject({
      circulationStatus: { code: '04' },
      securityMarker: { code: '02' },
      titleIdentifier: 'Pippi Långstrump',
      dueDate: sipDate(START + 10 * DAY),
      mediaType: { code: '001' },
      permanentLocation: 'MAIN',
      owner: AO,
      holdQueueLength: '0',
    });
    const held = await client.request(
      { type: 'itemInformation', transactionDate: now(), institutionId: AO, itemIdentifier: '31000009' },
      'itemInformationResponse',
    );
    expect(held.circulationStatus.code).toBe('08');
    expect(held.holdPickupDate).toBe(sipDate(START + 7 * DAY));
    const video = await client.request(
      { type: 'itemInformation', transactionDate: now(), institutionId: AO, itemIdentifier: '31000012' },
      'itemInformationResponse',
    );
    expect(video).toMatchObject({
      feeType: { code: '06' },
      feeAmount: '1.50',
      currencyType: 'EUR',
      mediaType: { code: '005' },
    });
    const unknown = await client.request(
      { type: 'itemInformation', transactionDate: now(), institutionId: AO, itemIdentifier: 'nothing' },
      'itemInformationResponse',
    );
    expect(unknown).toMatchObject({
      circulationStatus: { code: '01' },
      titleIdentifier: '',
      screenMessage: ['Unknown item'],
    });
  });

  it('11: checks out with a due date, desensitize Y; magnetic media flagged', async () => {
    const ok = await checkout('21000006', '31000005', { patronPassword: '6666' });
    expect(ok).toMatchObject({
      ok: true,
      renewalOk: false,
      desensitize: true,
      magneticMedia: false,
      dueDate: sipDate(START + 28 * DAY),
    });
    const tape = await checkout('21000006', '31000013');
    expect(tape).toMatchObject({ ok: true, magneticMedia: true, mediaType: { code: '010' } });
    expect(tape.screenMessage?.[0]).toMatch(/3 parts/);
  });

  it('11: refusals — blocked patron, item out to another, on hold for another, fee not acknowledged', async () => {
    const blocked = await checkout('21000005', '31000005');
    expect(blocked).toMatchObject({ ok: false, desensitize: false, dueDate: '' });
    expect(blocked.screenMessage).toContain('Card blocked, please see staff');
    expect((await checkout('21000006', '31000001')).ok).toBe(false);
    expect((await checkout('21000006', '31000009')).screenMessage).toEqual([
      'Item is on hold for another patron',
    ]);
    const fee = await checkout('21000006', '31000012');
    expect(fee).toMatchObject({ ok: false, feeType: { code: '06' }, feeAmount: '1.50', currencyType: 'EUR' });
    expect((await checkout('21000006', '31000012', { feeAcknowledged: true })).ok).toBe(true);
  });

  // SIP2 2.00: AD, the patron password, is optional on an 11 and a 29; when it is there it is
  // checked — empty too, as SIPServer's check_password takes '' only for a patron with no password.
  it('11 and 29 with an empty AD for a patron who has a PIN are refused as a wrong PIN, and lend nothing', async () => {
    const empty = await checkout('21000006', '31000005', { patronPassword: '' });
    expect(empty).toMatchObject({ ok: false, desensitize: false, dueDate: '' });
    expect(empty.screenMessage).toContain('Invalid PIN');
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
    const renewed = await client.request(
      {
        type: 'renew',
        thirdPartyAllowed: false,
        noBlock: false,
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        patronPassword: '',
        itemIdentifier: '31000002',
      },
      'renewResponse',
    );
    expect(renewed).toMatchObject({ ok: false, screenMessage: ['Invalid PIN'] });
    // Without AD (the kiosk checked the PIN with its 63) the checkout goes through, as before.
    expect((await checkout('21000006', '31000005')).ok).toBe(true);
  });

  it('11: a checkout of an item the patron has is a renewal', async () => {
    const renewal = await checkout('21000001', '31000001');
    expect(renewal).toMatchObject({ ok: true, renewalOk: true, dueDate: sipDate(START + 28 * DAY) });
  });

  const itemStatus = (item: string) =>
    client.request(
      { type: 'itemInformation', transactionDate: now(), institutionId: AO, itemIdentifier: item },
      'itemInformationResponse',
    );
  const owed = async (patron: string, pin: string) =>
    (await client.request(patronStatusMessage(patron, pin, now()), 'patronStatusResponse')).feeAmount;

  // SIP2 2.00, the cancel field (BI): "Y for a Checkout command being used to cancel a failed
  // Checkin command, and for a Checkin command being used to cancel a failed Checkout command".
  it('09 with cancel Y undoes a checkout that failed (the book could not be desensitized): not on loan, secured again', async () => {
    expect((await checkout('21000006', '31000005', { patronPassword: '6666' })).ok).toBe(true);
    const cancelled = await client.request(
      {
        type: 'checkin',
        noBlock: false,
        transactionDate: now(),
        returnDate: now(),
        currentLocation: 'MAIN',
        institutionId: AO,
        itemIdentifier: '31000005',
        terminalPassword: '',
        cancel: true,
      },
      'checkinResponse',
    );
    expect(cancelled).toMatchObject({ ok: true, resensitize: true, patronIdentifier: '21000006' });
    expect((await itemStatus('31000005')).circulationStatus.code).toBe('03');
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
  });

  it('11 with cancel Y undoes a checkin that failed (the book could not be secured): the loan back as it was, its fine gone', async () => {
    // 31000003 is five days overdue with 21000002: its checkin charges a fine.
    const before = await owed('21000002', '2222');
    expect((await checkin('31000003')).ok).toBe(true);
    expect(await owed('21000002', '2222')).not.toBe(before);
    const cancelled = await checkout('21000002', '31000003', { cancel: true, patronPassword: '2222' });
    expect(cancelled).toMatchObject({ ok: true, dueDate: sipDate(START - 5 * DAY) });
    const item = await itemStatus('31000003');
    expect(item).toMatchObject({ circulationStatus: { code: '04' }, dueDate: sipDate(START - 5 * DAY) });
    expect(await owed('21000002', '2222')).toBe(before);
  });

  // A checkout of an item the patron already has renews it (the 12 says renewal Y); the 09 with
  // BI Y that cancels it undoes that renewal — the loan stays the patron's, due as before, and the
  // rental its first checkout charged stays charged.
  it('09 with cancel Y after a checkout that renewed undoes the renewal, not the loan or its rental', async () => {
    const lent = await checkout('21000006', '31000012', { feeAcknowledged: true, patronPassword: '6666' });
    expect(lent).toMatchObject({ ok: true, renewalOk: false, feeAmount: '1.50' });
    const owedAfterLoan = await owed('21000006', '6666');
    await clock.advance(3 * DAY);
    const renewal = await checkout('21000006', '31000012', { feeAcknowledged: true, patronPassword: '6666' });
    expect(renewal).toMatchObject({ ok: true, renewalOk: true });
    expect(renewal.dueDate).not.toBe(lent.dueDate);
    const cancelled = await client.request(
      {
        type: 'checkin',
        noBlock: false,
        transactionDate: new Date(START + 3 * DAY),
        returnDate: new Date(START + 3 * DAY),
        currentLocation: 'MAIN',
        institutionId: AO,
        itemIdentifier: '31000012',
        terminalPassword: '',
        cancel: true,
      },
      'checkinResponse',
    );
    expect(cancelled).toMatchObject({ ok: true, patronIdentifier: '21000006' });
    const item = await itemStatus('31000012');
    expect(item).toMatchObject({ circulationStatus: { code: '04' }, dueDate: lent.dueDate });
    expect(simulator.state.item('31000012')?.loan).toMatchObject({ patron: '21000006', renewals: 0 });
    expect(await owed('21000006', '6666')).toBe(owedAfterLoan);
  });

  // A rental item (Casablanca, 1.50 EUR) is charged for each loan period: its renewal (29) and a
  // renewal among a 65's charge it as its checkout did, and the 30 says so in its fee fields (BT,
  // BH, BV) as the checkout's 12 does; a renewal refused charges nothing.
  it('29 and 65 charge a rental item its fee again, and the 30 says so as the 12 does', async () => {
    const cents = (amount: string | undefined) => Math.round(Number(amount) * 100);
    const lent = await checkout('21000006', '31000012', { feeAcknowledged: true, patronPassword: '6666' });
    expect(lent).toMatchObject({ ok: true, feeType: { code: '06' }, feeAmount: '1.50', currencyType: 'EUR' });
    const afterLoan = cents(await owed('21000006', '6666'));
    const all = await client.request(
      {
        type: 'renewAll',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000006',
        patronPassword: '6666',
        feeAcknowledged: true,
      },
      'renewAllResponse',
    );
    expect(all).toMatchObject({ ok: true, renewedItems: ['31000012'] });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan + 150);
    const renewed = await client.request(
      {
        type: 'renew',
        thirdPartyAllowed: false,
        noBlock: false,
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000006',
        patronPassword: '6666',
        itemIdentifier: '31000012',
        feeAcknowledged: true,
      },
      'renewResponse',
    );
    expect(renewed).toMatchObject({
      ok: true,
      renewalOk: true,
      feeType: { code: '06' },
      feeAmount: '1.50',
      currencyType: 'EUR',
    });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan + 300);
    // The sample library's limit is two renewals: a third is refused, and charges nothing.
    const refused = await checkout('21000006', '31000012', { feeAcknowledged: true, patronPassword: '6666' });
    expect(refused).toMatchObject({ ok: false, screenMessage: ['Renewal limit reached'] });
    expect(refused.feeAmount).toBeUndefined();
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan + 300);
  });

  // SIP2 2.00: BO, fee acknowledged, on a 29 as on an 11 — an ILS that charges a fee refuses the
  // transaction the patron has not accepted it for. A renewal with BO N of a rental item is refused
  // as its checkout is, saying the fee, and charges nothing; with BO Y it is renewed and charged.
  it('29 with BO N for a rental item is refused, as an 11 is, and charges nothing', async () => {
    const cents = (amount: string | undefined) => Math.round(Number(amount) * 100);
    expect(
      (await checkout('21000006', '31000012', { feeAcknowledged: true, patronPassword: '6666' })).ok,
    ).toBe(true);
    const afterLoan = cents(await owed('21000006', '6666'));
    const renew = (feeAcknowledged: boolean) =>
      client.request(
        {
          type: 'renew',
          thirdPartyAllowed: false,
          noBlock: false,
          transactionDate: now(),
          institutionId: AO,
          patronIdentifier: '21000006',
          patronPassword: '6666',
          itemIdentifier: '31000012',
          feeAcknowledged,
        },
        'renewResponse',
      );
    const refused = await renew(false);
    expect(refused).toMatchObject({
      ok: false,
      renewalOk: false,
      dueDate: '',
      feeType: { code: '06' },
      feeAmount: '1.50',
      currencyType: 'EUR',
      screenMessage: ['A fee of 1.50 EUR applies to this item'],
    });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan);
    expect(simulator.state.item('31000012')?.loan).toMatchObject({ renewals: 0 });
    const unasked = await client.request(
      {
        type: 'renewAll',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000006',
        patronPassword: '6666',
      },
      'renewAllResponse',
    );
    expect(unasked).toMatchObject({ ok: true, unrenewedItems: ['31000012'] });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan);
    // An 11 that would renew it (SC renewal policy Y) asks the same.
    const viaCheckout = await checkout('21000006', '31000012', { patronPassword: '6666' });
    expect(viaCheckout).toMatchObject({ ok: false, feeAmount: '1.50' });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan);
    expect(await renew(true)).toMatchObject({ ok: true, renewalOk: true, feeAmount: '1.50' });
    expect(cents(await owed('21000006', '6666'))).toBe(afterLoan + 150);
  });

  it('11 with cancel Y for an item another patron returned is refused, and lends nothing', async () => {
    expect((await checkin('31000001')).ok).toBe(true);
    const refused = await checkout('21000006', '31000001', { cancel: true, patronPassword: '6666' });
    expect(refused.ok).toBe(false);
    expect(simulator.state.item('31000001')?.loan).toBeUndefined();
  });

  it('09: trapped for a hold here (01), for another branch (02), sent home (04)', async () => {
    await checkout('21000006', '31000010');
    const trapped = await checkin('31000010');
    expect(trapped).toMatchObject({
      ok: true,
      resensitize: true,
      alert: true,
      alertType: { code: '01' },
      sortBin: 'HOLDS',
      // AA: the patron who had it checked out; the hold patron is in CY.
      patronIdentifier: '21000006',
      extraFields: [{ id: 'CY', value: '21000001' }],
    });
    const otherBranch = await checkin('31000008');
    expect(otherBranch).toMatchObject({ alert: true, alertType: { code: '02' }, sortBin: 'TRANSIT' });
    const home = await checkin('31000025');
    expect(home).toMatchObject({ alert: true, alertType: { code: '04' }, permanentLocation: 'EAST' });
    const plain = await checkin('31000002');
    expect(plain).toMatchObject({ ok: true, alert: false, permanentLocation: 'MAIN' });
    expect(plain.alertType).toBeUndefined();
    const unknown = await checkin('nothing');
    expect(unknown).toMatchObject({ ok: false, permanentLocation: '' });
  });

  it('29 renews up to the limit; 65 renews all', async () => {
    const renew = (item: string) =>
      client.request(
        {
          type: 'renew',
          thirdPartyAllowed: false,
          noBlock: false,
          transactionDate: now(),
          institutionId: AO,
          patronIdentifier: '21000001',
          itemIdentifier: item,
        },
        'renewResponse',
      );
    expect(await renew('31000002')).toMatchObject({ ok: true, renewalOk: true });
    expect(await renew('31000002')).toMatchObject({
      ok: false,
      renewalOk: false,
      screenMessage: ['Renewal limit reached'],
    });
    const all = await client.request(
      {
        type: 'renewAll',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        patronPassword: '1234',
      },
      'renewAllResponse',
    );
    expect(all).toMatchObject({
      ok: true,
      renewedCount: 1,
      unrenewedCount: 1,
      renewedItems: ['31000001'],
      unrenewedItems: ['31000002'],
    });
  });

  it('15 adds (+), changes (*) and deletes (-) a hold', async () => {
    const hold = (mode: '+' | '-' | '*', pickup?: string) =>
      client.request(
        {
          type: 'hold',
          holdMode: { code: mode },
          transactionDate: now(),
          institutionId: AO,
          patronIdentifier: '21000006',
          itemIdentifier: '31000001',
          ...(pickup ? { pickupLocation: pickup } : {}),
        },
        'holdResponse',
      );
    expect(await hold('+', 'EAST')).toMatchObject({
      ok: true,
      available: false,
      queuePosition: '1',
      pickupLocation: 'EAST',
      titleIdentifier: 'Pippi Långstrump',
    });
    expect(await hold('*', 'MAIN')).toMatchObject({ ok: true, pickupLocation: 'MAIN' });
    // Zoë cannot renew now: Ana waits for it.
    const renew = await client.request(
      {
        type: 'renew',
        thirdPartyAllowed: false,
        noBlock: false,
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        itemIdentifier: '31000001',
      },
      'renewResponse',
    );
    expect(renew.ok).toBe(false);
    expect(await hold('-')).toMatchObject({ ok: true });
    expect(await hold('-')).toMatchObject({ ok: false });
  });

  it('19 updates item properties', async () => {
    const updated = await client.request(
      {
        type: 'itemStatusUpdate',
        transactionDate: now(),
        institutionId: AO,
        itemIdentifier: '31000005',
        itemProperties: 'spine damaged',
      },
      'itemStatusUpdateResponse',
    );
    expect(updated).toMatchObject({
      itemPropertiesOk: true,
      itemProperties: 'spine damaged',
      titleIdentifier: 'Dune',
    });
    expect(simulator.state.item('31000005')?.properties).toBe('spine damaged');
  });
});
