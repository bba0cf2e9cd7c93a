import { describe, expect, it } from 'vitest';
import {
  CirculationRefusal,
  checkinResult,
  checkoutResult,
  feePaymentResult,
  fineItem,
  holdResult,
  ilsDate,
  itemInformationResult,
  patronLookupRefusal,
  patronReasons,
  patronView,
  reasonFromWording,
  renewAllResult,
  renewalResult,
} from '../../../src/gateway/circulation/index.js';
import {
  decodeSip2Message,
  enumValueOf,
  PATRON_STATUS_FLAGS,
  type PatronStatus,
  type Sip2Message,
} from '../../../src/protocols/sip2/index.js';

/** SIP2 answers as the decoder gives them → circulation JSON and refusal reasons. */
function status(set: Partial<PatronStatus> = {}): PatronStatus {
  const flags = {} as PatronStatus;
  for (const flag of PATRON_STATUS_FLAGS) flags[flag] = set[flag] ?? false;
  return flags;
}

/** Decodes a frame the test knows is good. */
function decoded<M>(frame: string): M {
  const result = decodeSip2Message(frame);
  if (!result.ok) throw result.error;
  return result.message as M;
}

function refusalOf(work: () => unknown): CirculationRefusal {
  try {
    work();
  } catch (error) {
    if (error instanceof CirculationRefusal) return error;
    throw error;
  }
  throw new Error('no refusal');
}

function patronAnswer(
  fields: Partial<Sip2Message<'patronInformationResponse'>> = {},
): Sip2Message<'patronInformationResponse'> {
  return {
    type: 'patronInformationResponse',
    patronStatus: status(),
    language: enumValueOf('language', '001'),
    transactionDate: '20260301    120000',
    holdItemsCount: 0,
    overdueItemsCount: 0,
    chargedItemsCount: 0,
    fineItemsCount: 0,
    recallItemsCount: null,
    unavailableHoldsCount: 0,
    institutionId: 'LIB',
    patronIdentifier: 'P1',
    personalName: 'Ann Reader',
    validPatron: true,
    validPatronPassword: true,
    ...fields,
  };
}

describe('patron standing', () => {
  it('counts a missing BL as an unknown patron and a missing CQ as a wrong PIN', () => {
    expect(patronReasons({ patronStatus: status() }, false)).toEqual(['patron_not_found']);
    expect(patronReasons({ validPatron: true, patronStatus: status() }, true)).toEqual(['invalid_pin']);
    expect(patronReasons({ validPatron: true, patronStatus: status() }, false)).toEqual([]);
    expect(
      patronLookupRefusal(
        { validPatron: true, validPatronPassword: false, screenMessage: ['Bad PIN'] },
        true,
      ),
    ).toMatchObject({ reason: 'invalid_pin', screenMessages: ['Bad PIN'] });
    expect(patronLookupRefusal({ validPatron: true }, false)).toBeUndefined();
  });

  it('reads the 14 flags, and the wording for an expired card or a block', () => {
    const valid = { validPatron: true, validPatronPassword: true };
    expect(
      patronReasons(
        { ...valid, patronStatus: status({ chargePrivilegesDenied: true, excessiveOutstandingFees: true }) },
        true,
      ),
    ).toEqual(['excessive_fines']);
    expect(
      patronReasons(
        {
          ...valid,
          patronStatus: status({ chargePrivilegesDenied: true, renewalPrivilegesDenied: true }),
          screenMessage: ['Card expired, please see staff'],
        },
        true,
      ),
    ).toEqual(['card_expired']);
    expect(patronReasons({ ...valid, patronStatus: status({ chargePrivilegesDenied: true }) }, true)).toEqual(
      ['patron_blocked'],
    );
    expect(
      patronReasons(
        { ...valid, patronStatus: status({ cardReportedLost: true, chargePrivilegesDenied: true }) },
        true,
      ),
    ).toEqual(['card_lost']);
    expect(
      patronReasons(
        { ...valid, patronStatus: status({ tooManyItemsCharged: true, tooManyItemsOverdue: true }) },
        true,
      ),
    ).toEqual(['too_many_items', 'too_many_overdue']);
    expect(patronReasons({ ...valid, patronStatus: status({ holdPrivilegesDenied: true }) }, true)).toEqual([
      'hold_not_allowed',
    ]);
  });

  it('turns a 64 and its summary lists into a patron', () => {
    const patron = patronView(
      patronAnswer({
        patronStatus: status({ chargePrivilegesDenied: true, excessiveOutstandingFines: true }),
        chargedItemsCount: 2,
        overdueItemsCount: 1,
        feeAmount: '12.50',
        currencyType: 'EUR',
        feeLimit: '10.00',
        chargedItemsLimit: '0008',
        screenMessage: ['Outstanding fines and fees too high'],
        extraFields: [{ id: 'PA', value: '20261231' }],
      }),
      {
        chargedItems: ['I1', 'I2'],
        overdueItems: ['I2'],
        fineItems: ['F-1 7.50 Late return', '$5.00 Lost card', 'something else'],
        holdItems: ['I3'],
        unavailableHoldItems: [],
      },
      true,
    );
    expect(patron).toMatchObject({
      id: 'P1',
      name: 'Ann Reader',
      valid: true,
      pinValid: true,
      blocked: true,
      reasons: ['excessive_fines'],
      statusFlags: ['chargePrivilegesDenied', 'excessiveOutstandingFines'],
      expires: { text: '20261231' },
      fines: {
        total: '12.50',
        currency: 'EUR',
        limit: '10.00',
        items: [
          { id: 'F-1', amount: '7.50', description: 'Late return' },
          { amount: '5.00', description: 'Lost card' },
          { text: 'something else' },
        ],
      },
      loans: [
        { item: 'I1', overdue: false },
        { item: 'I2', overdue: true },
      ],
      holds: { available: [{ item: 'I3' }], unavailable: [] },
      counts: { loans: 2, overdue: 1, recalls: null },
      limits: { loans: 8 },
      screenMessages: ['Outstanding fines and fees too high'],
    });
    expect(patron.expires?.date).toMatch(/^2026-12-31T/);
    expect(patronView(patronAnswer(), {}, false).pinValid).toBe(false);
  });
});

describe('dates and fines', () => {
  it('reads SIP2, ISO and compact dates and keeps the text of anything else', () => {
    expect(ilsDate('20260301   Z120000')).toEqual({
      date: '2026-03-01T12:00:00.000Z',
      text: '20260301   Z120000',
    });
    expect(ilsDate('20260301    120000', { timeZone: 'Europe/Stockholm' }).date).toBe(
      '2026-03-01T11:00:00.000Z',
    );
    // A zone of 0000 is UTC, as "   Z" is, not the ILS's local time.
    expect(ilsDate('202603010000120000', { timeZone: 'Europe/Stockholm' }).date).toBe(
      '2026-03-01T12:00:00.000Z',
    );
    // A zone letter is its offset from UTC (Q: UTC−4), whatever zone the ILS's local time is in; a
    // zone SIP2 does not define is no date at all, its text kept, never the ILS's local time.
    expect(ilsDate('20260301   Q080000', { timeZone: 'Europe/Stockholm' }).date).toBe(
      '2026-03-01T12:00:00.000Z',
    );
    expect(ilsDate('20260301 EST070000', { timeZone: 'Europe/Stockholm' })).toEqual({
      date: null,
      text: '20260301 EST070000',
    });
    expect(ilsDate('2026-03-01').date).toBe('2026-03-01T00:00:00.000Z');
    expect(ilsDate('03/01/2026')).toEqual({ date: null, text: '03/01/2026' });
    expect(fineItem('7.50')).toEqual({ text: '7.50', amount: '7.50' });
  });

  it('reads the same local date in each zone asked, one after another, and gives each caller its own object', () => {
    const local = '20260301    120000';
    const stockholm = ilsDate(local, { timeZone: 'Europe/Stockholm' });
    expect(stockholm.date).toBe('2026-03-01T11:00:00.000Z');
    expect(ilsDate(local, { timeZone: 'America/New_York' }).date).toBe('2026-03-01T17:00:00.000Z');
    const again = ilsDate(local, { timeZone: 'Europe/Stockholm' });
    expect(again).toEqual({ date: '2026-03-01T11:00:00.000Z', text: local });
    expect(again).not.toBe(stockholm);
    // An answer changed after it was mapped changes no later answer.
    again.date = 'changed';
    expect(ilsDate(local, { timeZone: 'Europe/Stockholm' }).date).toBe('2026-03-01T11:00:00.000Z');
    expect(ilsDate('not a date', { timeZone: 'Europe/Stockholm' }).date).toBeNull();
    expect(ilsDate(local, { timeZone: 'Europe/Stockholm' }).date).toBe('2026-03-01T11:00:00.000Z');
  });
});

describe('circulation answers', () => {
  it('maps an accepted checkout (decoded from the wire) with its due date and desensitize flag', () => {
    const answer = decoded<Sip2Message<'checkoutResponse'>>(
      '121NNY20260301    120000AOLIB|AAP1|ABI1|AJDune|AH20260329    235959|CK001|AFEnjoy|',
    );
    expect(checkoutResult(answer, { timeZone: 'UTC' })).toEqual({
      ok: true,
      renewal: false,
      item: {
        id: 'I1',
        title: 'Dune',
        dueDate: { date: '2026-03-29T23:59:59.000Z', text: '20260329    235959' },
        mediaType: 'book',
        magneticMedia: false,
        desensitize: true,
      },
      screenMessages: ['Enjoy'],
      printLines: [],
      offline: false,
    });
  });

  it('maps a checkout that charges a fee (a rental) with the fee, its currency and type', () => {
    const answer = decoded<Sip2Message<'checkoutResponse'>>(
      '121NNN20260301    120000AOLIB|AAP1|ABI1|AJDune|AH20260329    235959|BV2.00|BHUSD|BT06|',
    );
    expect(checkoutResult(answer, { timeZone: 'UTC' }).item).toEqual({
      id: 'I1',
      title: 'Dune',
      dueDate: { date: '2026-03-29T23:59:59.000Z', text: '20260329    235959' },
      fee: { amount: '2.00', currency: 'USD', type: 'rental' },
      magneticMedia: false,
      desensitize: false,
    });
  });

  it('gives refused checkouts a reason from the wording, and a fee with no wording fee_required', () => {
    const base = decoded<Sip2Message<'checkoutResponse'>>('120NUN20260301    120000AOLIB|AAP1|ABI1|AJ|AH|');
    const cases: Array<[string[], string]> = [
      [['Item is on hold for another patron'], 'item_on_hold_for_another'],
      [['Card blocked, please see staff'], 'patron_blocked'],
      [['Card expired, please see staff'], 'card_expired'],
      [['Loan limit reached'], 'too_many_items'],
      [['Outstanding fines and fees too high'], 'excessive_fines'],
      [['Item cannot be borrowed, please see staff'], 'item_not_circulating'],
      [['Unknown item'], 'item_not_found'],
      [['Invalid PIN'], 'invalid_pin'],
      [['Item is already checked out to you'], 'already_checked_out'],
      [['Computer says no'], 'refused'],
      [[], 'refused'],
    ];
    for (const [screenMessage, reason] of cases) {
      const refusal = refusalOf(() => checkoutResult({ ...base, screenMessage }));
      expect({ reason: refusal.reason, words: refusal.screenMessages }).toEqual({
        reason,
        words: screenMessage,
      });
      expect(refusal.kind).toBe('checkout');
    }
    expect(refusalOf(() => checkoutResult({ ...base, feeAmount: '1.50' })).reason).toBe('fee_required');
  });

  it('maps checkin alerts to hold, transit and other', () => {
    const answer = decoded<Sip2Message<'checkinResponse'>>(
      '101YNY20260301    120000AOLIB|ABI1|AQMAIN|AJDune|CLHOLDS|CV01|AAP9|AFItem on hold|',
    );
    const result = checkinResult(answer);
    expect(result).toMatchObject({
      ok: true,
      resensitize: true,
      sortBin: 'HOLDS',
      alert: { type: 'hold', message: 'Item on hold' },
      item: { id: 'I1', title: 'Dune', permanentLocation: 'MAIN' },
    });
    expect(JSON.stringify(result)).not.toContain('P9');
    expect(
      checkinResult({ ...answer, alertType: enumValueOf('alertType', '04'), screenMessage: [] }).alert,
    ).toEqual({
      type: 'transit',
      message: 'Belongs to another branch: send it in transit',
    });
    const { alertType: _none, ...noType } = answer;
    expect(checkinResult({ ...noType, alert: true }).alert?.type).toBe('other');
    expect(checkinResult({ ...noType, alert: false }).alert).toBeUndefined();
    expect(
      refusalOf(() => checkinResult({ ...answer, ok: false, screenMessage: ['Unknown item'] })).reason,
    ).toBe('item_not_found');
  });

  it('takes a return of an item that was not on loan as done, not refused, and secures it (strict ILSs answer ok 0)', () => {
    // Evergreen, Koha's SIPServer and the reference test server answer such a checkin ok 0 with
    // "not checked out"; the item is on the shelf now and the answer says to secure it.
    for (const message of ['Item was not checked out', 'Item not checked out', 'Item is not on loan']) {
      const answer = decoded<Sip2Message<'checkinResponse'>>(
        `100YNN20260301    120000AOLIB|ABI1|AQMAIN|AJDune|AF${message}|`,
      );
      expect(checkinResult(answer)).toMatchObject({
        ok: true,
        wasNotOnLoan: true,
        resensitize: true,
        item: { id: 'I1', title: 'Dune' },
        screenMessages: [message],
      });
    }
    // A refusal that says nothing of the kind is still a refusal.
    const refused = decoded<Sip2Message<'checkinResponse'>>(
      '100YNN20260301    120000AOLIB|ABI1|AQMAIN|AJDune|AFItem is lost: see staff|',
    );
    expect(refusalOf(() => checkinResult(refused)).reason).toBeDefined();
    // And a checkin the ILS did is not marked.
    const done = decoded<Sip2Message<'checkinResponse'>>('101YNN20260301    120000AOLIB|ABI1|AQMAIN|AJDune|');
    expect(checkinResult(done)).not.toHaveProperty('wasNotOnLoan');
  });

  it('maps renewals, holds, payments and item information', () => {
    const renew = decoded<Sip2Message<'renewResponse'>>(
      '300NUN20260301    120000AOLIB|AAP1|ABI1|AJDune|AH|AFRenewal limit reached|',
    );
    expect(refusalOf(() => renewalResult(renew)).reason).toBe('renewal_limit');
    // The refusal keeps the title it names (AJ): the patron is told which loan, nothing looked up.
    expect(refusalOf(() => renewalResult(renew)).title).toBe('Dune');
    expect(refusalOf(() => renewalResult({ ...renew, titleIdentifier: '' })).title).toBeUndefined();
    expect(renewalResult({ ...renew, ok: true }).item.id).toBe('I1');

    const all = decoded<Sip2Message<'renewAllResponse'>>('6610001000120260301    120000AOLIB|BMI1|BNI2|');
    expect(renewAllResult(all)).toMatchObject({ renewed: ['I1'], unrenewed: ['I2'] });

    const hold = decoded<Sip2Message<'holdResponse'>>(
      '161N20260301    120000BR2|BSEAST|AOLIB|AAP1|ABI1|AJDune|',
    );
    expect(holdResult(hold, 'hold')).toMatchObject({
      ok: true,
      available: false,
      queuePosition: 2,
      pickupLocation: 'EAST',
    });
    expect(refusalOf(() => holdResult({ ...hold, ok: false }, 'holdCancel')).reason).toBe('hold_not_found');
    expect(
      refusalOf(() => holdResult({ ...hold, ok: false, screenMessage: ['Hold limit reached'] }, 'hold'))
        .reason,
    ).toBe('hold_limit');

    const paid = decoded<Sip2Message<'feePaidResponse'>>(
      '38N20260301    120000AOLIB|AAP1|AFAmount is more than is owed|',
    );
    expect(refusalOf(() => feePaymentResult(paid)).reason).toBe('invalid_amount');
    expect(refusalOf(() => feePaymentResult({ ...paid, screenMessage: [] })).reason).toBe('payment_refused');
    expect(feePaymentResult({ ...paid, paymentAccepted: true, transactionId: 'T1' })).toMatchObject({
      accepted: true,
      transactionId: 'T1',
    });

    const item = decoded<Sip2Message<'itemInformationResponse'>>(
      '1804020120260301    120000CF1|AH20260329    235959|ABI1|AJDune|BV1.50|BHEUR|AQMAIN|APEAST|',
    );
    expect(itemInformationResult(item, { timeZone: 'UTC' }).item).toEqual({
      id: 'I1',
      title: 'Dune',
      status: 'charged',
      dueDate: { date: '2026-03-29T23:59:59.000Z', text: '20260329    235959' },
      permanentLocation: 'MAIN',
      currentLocation: 'EAST',
      holdQueueLength: 1,
      fee: { amount: '1.50', currency: 'EUR', type: 'other' },
      securityMarker: 'tattleTape',
    });
    const unknown = {
      ...item,
      titleIdentifier: '',
      circulationStatus: enumValueOf('circulationStatus', '01'),
    };
    expect(refusalOf(() => itemInformationResult(unknown)).reason).toBe('item_not_found');
  });

  it('finds the reason in any of several screen messages', () => {
    expect(reasonFromWording(['Please see staff', 'Card expired'])).toBe('patron_blocked');
    // What is suspended is named before the advice to see staff: the card itself is not blocked.
    expect(reasonFromWording(['Renewals suspended, please see staff'])).toBe('renewal_not_allowed');
    expect(reasonFromWording(['Renewals blocked: please see staff'])).toBe('renewal_not_allowed');
    expect(reasonFromWording(['Holds suspended, please see staff'])).toBe('hold_not_allowed');
    expect(reasonFromWording(['Welcome', 'Card expired'])).toBe('card_expired');
    expect(reasonFromWording(['Welcome'])).toBeUndefined();
  });
});
