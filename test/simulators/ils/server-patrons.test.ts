/**
 * The ILS simulator over real TCP: raw sockets speaking SIP2, frames built and
 * read with the codec.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { ManualClock } from '../../../src/core/clock.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { patronStatusMessage, Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const TZ = 'Europe/Stockholm';
const now = () => new Date(START);

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

describe('patrons', () => {
  beforeEach(async () => {
    await client.login('kiosk1', 'kiosk1pw');
  });

  it('23: BL and CQ for a known patron with a PIN; CQ N for an empty AD (no PIN typed), with no wrong-PIN words; BL N for an unknown patron', async () => {
    const ok = await client.request(
      {
        type: 'patronStatusRequest',
        language: 'english',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        terminalPassword: '',
        patronPassword: '1234',
      },
      'patronStatusResponse',
    );
    expect(ok).toMatchObject({
      validPatron: true,
      validPatronPassword: true,
      personalName: 'Zoë Åström',
      currencyType: 'EUR',
      feeAmount: '0.00',
    });
    const noPin = await client.request(
      {
        type: 'patronStatusRequest',
        language: 'english',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        terminalPassword: '',
        patronPassword: '',
      },
      'patronStatusResponse',
    );
    // The 23's AD is required: sent empty, it is no PIN — CQ N (a missing CQ some clients take as valid).
    expect(noPin.validPatron).toBe(true);
    expect(noPin.validPatronPassword).toBe(false);
    expect(noPin.screenMessage ?? []).not.toContain('Invalid PIN');
    const infoNoPin = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: now(),
        summary: null,
        institutionId: AO,
        patronIdentifier: '21000001',
        patronPassword: '',
      },
      'patronInformationResponse',
    );
    expect(infoNoPin).toMatchObject({ validPatron: true, validPatronPassword: false });
    const badPin = await client.request(
      {
        type: 'patronStatusRequest',
        language: 'english',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        terminalPassword: '',
        patronPassword: '9',
      },
      'patronStatusResponse',
    );
    expect(badPin.validPatronPassword).toBe(false);
    const unknown = await client.request(
      {
        type: 'patronStatusRequest',
        language: 'english',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: 'nobody',
        terminalPassword: '',
        patronPassword: '1',
      },
      'patronStatusResponse',
    );
    expect(unknown).toMatchObject({ validPatron: false, personalName: '' });
    expect(unknown.validPatronPassword).toBeUndefined();
    expect(unknown.patronStatus.chargePrivilegesDenied).toBe(true);
  });

  it('23: the status flags of expired, blocked and fined patrons', async () => {
    const status = async (patron: string) =>
      (await client.request(patronStatusMessage(patron, '', now()), 'patronStatusResponse')).patronStatus;
    expect((await status('21000004')).chargePrivilegesDenied).toBe(true); // expired
    expect((await status('21000005')).holdPrivilegesDenied).toBe(true); // blocked
    expect(await status('21000003')).toMatchObject({
      chargePrivilegesDenied: true,
      excessiveOutstandingFees: true,
    });
    expect((await status('21000007')).cardReportedLost).toBe(true);
  });

  it('63: counts, the one summary list asked for, in the BP/BQ range; no recalls (0000)', async () => {
    const info = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: now(),
        summary: 'overdueItems',
        institutionId: AO,
        patronIdentifier: '21000008',
        patronPassword: '8888',
        startItem: '2',
        endItem: '3',
      },
      'patronInformationResponse',
    );
    expect(info).toMatchObject({
      validPatron: true,
      validPatronPassword: true,
      holdItemsCount: 0,
      overdueItemsCount: 5,
      chargedItemsCount: 5,
      fineItemsCount: 0,
      recallItemsCount: 0,
      unavailableHoldsCount: 0,
      overdueItems: ['31000021', '31000022'],
      chargedItemsLimit: '0008',
      overdueItemsLimit: '0005',
    });
    expect(info.chargedItems).toBeUndefined();
    expect(info.patronStatus.tooManyItemsOverdue).toBe(true);

    const zoe = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: now(),
        summary: 'unavailableHoldItems',
        institutionId: AO,
        patronIdentifier: '21000001',
      },
      'patronInformationResponse',
    );
    expect(zoe).toMatchObject({
      unavailableHoldsCount: 1,
      unavailableHoldItems: ['31000010'],
      emailAddress: 'zoe.astrom@example.org',
    });
    expect(zoe.validPatronPassword).toBeUndefined();

    const kare = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: now(),
        summary: 'holdItems',
        institutionId: AO,
        patronIdentifier: '21000009',
      },
      'patronInformationResponse',
    );
    expect(kare).toMatchObject({ holdItemsCount: 1, holdItems: ['31000009'] });

    const bjorn = await client.request(
      {
        type: 'patronInformation',
        language: 'english',
        transactionDate: now(),
        summary: 'fineItems',
        institutionId: AO,
        patronIdentifier: '21000003',
      },
      'patronInformationResponse',
    );
    expect(bjorn).toMatchObject({ fineItemsCount: 2, feeAmount: '12.50', feeLimit: '10.00' });
    expect(bjorn.fineItems?.[0]).toMatch(/^F-1001 7\.50 /);
  });

  it('01 blocks a patron (answered by 24) and 25 enables them again', async () => {
    const blocked = await client.request(
      {
        type: 'blockPatron',
        cardRetained: true,
        transactionDate: now(),
        institutionId: AO,
        blockedCardMessage: 'Card retained by kiosk',
        patronIdentifier: '21000006',
        terminalPassword: '',
      },
      'patronStatusResponse',
    );
    expect(blocked.patronStatus.chargePrivilegesDenied).toBe(true);
    expect(blocked.screenMessage).toContain('Card retained by kiosk');
    const enabled = await client.request(
      {
        type: 'patronEnable',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000006',
        patronPassword: '6666',
      },
      'patronEnableResponse',
    );
    expect(enabled).toMatchObject({ validPatron: true, validPatronPassword: true });
    expect(enabled.patronStatus.chargePrivilegesDenied).toBe(false);
  });

  it('37 takes a fee payment', async () => {
    const paid = await client.request(
      {
        type: 'feePaid',
        transactionDate: now(),
        feeType: 'overdue',
        paymentType: 'cash',
        currencyType: 'EUR',
        feeAmount: '1.25',
        institutionId: AO,
        patronIdentifier: '21000006',
        transactionId: 'K-77',
      },
      'feePaidResponse',
    );
    expect(paid).toMatchObject({ paymentAccepted: true, transactionId: 'K-77' });
    const tooMuch = await client.request(
      {
        type: 'feePaid',
        transactionDate: now(),
        feeType: 'overdue',
        paymentType: 'cash',
        currencyType: 'EUR',
        feeAmount: '1.00',
        institutionId: AO,
        patronIdentifier: '21000006',
      },
      'feePaidResponse',
    );
    expect(tooMuch.paymentAccepted).toBe(false);
    expect(tooMuch.transactionId).toMatch(/^T\d+/);
  });
});
