/**
 * What the relay answers itself while the ILS is down, read as a strict
 * self-check reads it: every fixed field one of the spec's values and
 * consistent with the others, every required variable field present.
 */
import { describe, expect, it } from 'vitest';
import {
  isRelayedRequest,
  offlineAcceptance,
  offlineAcsStatus,
  offlineRefusal,
  sip2RelayOfflineSchema,
} from '../../../src/gateway/relay/index.js';
import {
  type AnySip2Message,
  decodeSip2Message,
  encodeSip2Message,
  SIP2_MESSAGES,
  type Sip2Message,
} from '../../../src/protocols/sip2/index.js';
import { journaledCheckin, useRelayRigs, withErrorDetection } from './helpers.js';

const DATE = '20260302    100000';
const NOW = new Date(Date.UTC(2026, 2, 2, 9, 0, 0));
const policy = sip2RelayOfflineSchema.parse({ offlineOk: true, checkinOk: true, checkoutOk: true });
const context = { policy, now: NOW, institutionId: 'RIVERSIDE', terminalLocation: 'MAIN' };

const wireOf = (message: Parameters<typeof encodeSip2Message>[0]) =>
  Buffer.from(encodeSip2Message(message, { errorDetection: false }))
    .toString('latin1')
    .slice(0, -1);
function fieldsOf(wire: string, fixedLength: number): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of wire.slice(fixedLength).split('|')) {
    if (part.length >= 2 && !fields.has(part.slice(0, 2))) fields.set(part.slice(0, 2), part.slice(2));
  }
  return fields;
}

const checkout = (nbDueDate: string | null, noBlock = nbDueDate !== null) =>
  ({
    type: 'checkout',
    scRenewalPolicy: false,
    noBlock,
    transactionDate: DATE,
    nbDueDate,
    institutionId: 'RIVERSIDE',
    patronIdentifier: '21000009',
    itemIdentifier: '31000005',
    terminalPassword: '',
  }) as unknown as AnySip2Message;
const checkin = {
  type: 'checkin',
  noBlock: false,
  transactionDate: DATE,
  returnDate: DATE,
  currentLocation: 'MAIN',
  institutionId: 'RIVERSIDE',
  itemIdentifier: '31000001',
  terminalPassword: '',
} as unknown as AnySip2Message;

describe('the relay’s 98 while the ILS is down', () => {
  it('online N with timeout 000: "000 indicates that the ACS is not on-line"', () => {
    const wire = wireOf(offlineAcsStatus(context));
    expect(wire.slice(0, 3)).toBe('98N');
    expect(wire.slice(8, 11)).toBe('000');
    expect(wire.slice(11, 14)).toBe('003');
    expect(wire.slice(32, 36)).toBe('2.00');
    const fields = fieldsOf(wire, 36);
    expect(fields.get('AO')).toBe('RIVERSIDE');
    expect(fields.get('BX')).toMatch(/^[YN]{16}$/);
    expect(fields.get('AN')).toBe('MAIN');
  });
});

describe('a checkout and a checkin the relay takes offline (journaled)', () => {
  it('12: ok 1, renewal N, magnetic media U (not known), desensitize Y (lent), the SC’s no-block due date in AH', () => {
    const taken = offlineAcceptance(checkout('20260316    235959'), context);
    const wire = wireOf(taken!);
    expect(wire.slice(0, 6)).toBe('121NUY');
    const fields = fieldsOf(wire, 24);
    expect(fields.get('AH')).toBe('20260316    235959');
    expect([fields.get('AO'), fields.get('AA'), fields.get('AB'), fields.get('AJ')]).toEqual([
      'RIVERSIDE',
      '21000009',
      '31000005',
      '',
    ]);
    // An online SC sends no no-block due date: AH is there, empty (the ILS sets it on replay).
    expect(fieldsOf(wireOf(offlineAcceptance(checkout(null), context)!), 24).get('AH')).toBe('');
  });

  it('10: ok 1, resensitize Y, magnetic media U, alert N; AQ present', () => {
    const wire = wireOf(offlineAcceptance(checkin, context)!);
    expect(wire.slice(0, 6)).toBe('101YUN');
    const fields = fieldsOf(wire, 24);
    expect(fields.get('AB')).toBe('31000001');
    expect(fields.get('AQ')).toBe('');
  });

  it('takes only checkouts and checkins', () => {
    expect(
      offlineAcceptance({ ...checkout(null), type: 'renew' } as AnySip2Message, context),
    ).toBeUndefined();
  });
});

describe('what the relay refuses offline', () => {
  it('12 says 120NUN; 24 denies the four privileges in the 23’s language; 18 is 01/00/01 with AJ', () => {
    expect(wireOf(offlineRefusal(checkout(null), context)!).slice(0, 6)).toBe('120NUN');
    const status = wireOf(
      offlineRefusal(
        {
          type: 'patronStatusRequest',
          language: { code: '006', name: 'swedish' },
          transactionDate: DATE,
          institutionId: 'RIVERSIDE',
          patronIdentifier: '21000009',
          terminalPassword: '',
          patronPassword: '',
        } as unknown as AnySip2Message,
        context,
      )!,
    );
    expect(status.slice(0, 19)).toBe(`24YYYY${' '.repeat(10)}006`);
    const item = wireOf(
      offlineRefusal(
        {
          type: 'itemInformation',
          transactionDate: DATE,
          institutionId: 'RIVERSIDE',
          itemIdentifier: '31000001',
        } as unknown as AnySip2Message,
        context,
      )!,
    );
    expect(item.slice(0, 8)).toBe('18010001');
    expect(fieldsOf(item, 26).get('AJ')).toBe('');
  });
});

describe('which messages the relay carries to the ILS', () => {
  it('exactly those it has an offline answer for, 93 apart (it answers that itself)', () => {
    for (const type of Object.keys(SIP2_MESSAGES)) {
      const message = { type } as AnySip2Message;
      expect(isRelayedRequest(message), type).toBe(
        type !== 'login' && offlineRefusal(message, context) !== undefined,
      );
    }
    expect(isRelayedRequest({ type: 'itemInformation' } as AnySip2Message)).toBe(true);
    expect(isRelayedRequest({ type: 'itemInformationResponse' } as AnySip2Message)).toBe(false);
  });
});

describe('over TCP, the ILS gone', () => {
  const { rig, kiosk } = useRelayRigs();

  it('a 63 gets a 64 whose counts are digits and whose privileges are denied', async () => {
    const { relay, simulator } = await rig();
    const link = await kiosk(relay.port);
    await link.request(withErrorDetection('9300CNselfcheck-1|COsc1pw|', 0));
    await simulator.close();
    const answer = (await link.request(
      withErrorDetection(`63001${DATE}          AORIVERSIDE|AA21000001|AC|AD1234|`, 1),
    ))!.toString('latin1');
    expect(answer.slice(0, 19)).toBe(`64YYYY${' '.repeat(10)}001`);
    expect(answer.slice(37, 61)).toBe('0000'.repeat(6));
    const decoded = decodeSip2Message(answer);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(decoded.ok && decoded.warnings).toEqual([]);
  });

  it('a 99 gets a 98 whose BX lists 99, 97 and 93 as supported: the relay still answers them', async () => {
    const { relay, simulator } = await rig({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: false } },
      onOffline: (request) => journaledCheckin(request as Sip2Message<'checkin'>),
    });
    const link = await kiosk(relay.port);
    await link.request(withErrorDetection('9300CNselfcheck-1|COsc1pw|', 0));
    await simulator.close();
    const answer = (await link.request(withErrorDetection('9900302.00', 1)))!.toString('latin1');
    // 23 11 09 01 99 97 93 63 35 37 17 19 25 15 29 65: the checkin taken offline, no checkout
    expect(fieldsOf(answer, 36).get('BX')).toBe('NNYNYYYNNNNNNNNN');
    const decoded = decodeSip2Message(answer);
    expect(decoded.ok && decoded.message).toMatchObject({
      onlineStatus: false,
      supportedMessages: { scAcsStatus: true, requestScAcsResend: true, login: true, checkin: true },
    });
  });

  it('with no offline journal to take them, the 98 offers no checkin or checkout and a checkin is refused', async () => {
    // The relay's policy says it takes both, but the desk has no journal (offline.enabled false).
    const { relay, simulator } = await rig({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
    });
    const link = await kiosk(relay.port);
    await link.request(withErrorDetection('9300CNselfcheck-1|COsc1pw|', 0));
    await simulator.close();
    const status = (await link.request(withErrorDetection('9900302.00', 1)))!.toString('latin1');
    expect(status.slice(0, 8)).toBe('98NNNNNY');
    expect(fieldsOf(status, 36).get('BX')).toBe('NNNNYYYNNNNNNNNN');
    const checkin = (await link.request(
      withErrorDetection(`09N${DATE}${DATE}APMAIN|AORIVERSIDE|AB31000001|AC|`, 2),
    ))!.toString('latin1');
    expect(checkin.slice(0, 3)).toBe('100');
  });
});
