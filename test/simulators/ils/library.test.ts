import { beforeEach, describe, expect, it } from 'vitest';
import { loadIlsFixture } from '../../../simulators/ils/fixture.js';
import { IlsLibrary } from '../../../simulators/ils/library.js';
import { ManualClock } from '../../../src/core/clock.js';
import { SAMPLE_FIXTURE } from './paths.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 2, 10, 0, 0);

// Sample-library cast (see simulators/ils/fixtures/sample-library.yaml).
const ZOE = '21000001';
const EMILE = '21000002'; // one overdue loan, home EAST
const BJORN = '21000003'; // 12.50 owed: over the 10.00 threshold
const SIOBHAN = '21000004'; // expired
const GRZEGORZ = '21000005'; // blocked
const ANA = '21000006'; // 1.25 owed
const CHIDI = '21000007'; // card reported lost
const MEI = '21000008'; // five overdue loans
const KARE = '21000009'; // has 31000009 waiting on the hold shelf

let clock: ManualClock;
let library: IlsLibrary;

beforeEach(async () => {
  clock = new ManualClock(START);
  library = new IlsLibrary(await loadIlsFixture(SAMPLE_FIXTURE), { clock });
});

describe('checkout', () => {
  it('lends an item for the loan period of its media type', () => {
    const book = library.checkout({ patron: ANA, item: '31000005', branch: 'MAIN' });
    expect(book.ok).toBe(true);
    expect(book.due?.getTime()).toBe(START + 28 * DAY);
    const magazine = library.checkout({ patron: ANA, item: '31000029', branch: 'MAIN' });
    expect(magazine.due?.getTime()).toBe(START + 7 * DAY);
    expect(library.item('31000005')?.loan?.patron).toBe(ANA);
  });

  it('refuses blocked, expired, lost-card, fined and overdue patrons', () => {
    for (const patron of [GRZEGORZ, SIOBHAN, CHIDI, BJORN, MEI]) {
      const result = library.checkout({ patron, item: '31000005', branch: 'MAIN' });
      expect(result.ok, patron).toBe(false);
      expect(result.messages.length, patron).toBeGreaterThan(0);
    }
    expect(library.item('31000005')?.loan).toBeUndefined();
  });

  it('lets an offline (no block) checkout through with the SC due date', () => {
    const due = new Date(START + 3 * DAY);
    const result = library.checkout({
      patron: BJORN,
      item: '31000005',
      branch: 'MAIN',
      noBlock: true,
      noBlockDueDate: due,
    });
    expect(result.ok).toBe(true);
    expect(result.due).toEqual(due);
  });

  it('enforces the loan limit', () => {
    const fixture = { ...library.fixture, circulation: { ...library.fixture.circulation, loanLimit: 3 } };
    const strict = new IlsLibrary(fixture, { clock });
    expect(strict.checkout({ patron: ZOE, item: '31000005', branch: 'MAIN' }).ok).toBe(true);
    const refused = strict.checkout({ patron: ZOE, item: '31000006', branch: 'MAIN' });
    expect(refused.ok).toBe(false);
    expect(refused.messages).toContain('Loan limit reached');
    expect(strict.standing(strict.patron(ZOE)!).status.tooManyItemsCharged).toBe(true);
  });

  it('refuses a wrong PIN and unknown patrons and items', () => {
    expect(
      library.checkout({ patron: ANA, item: '31000005', branch: 'MAIN', patronPassword: '0000' }).messages,
    ).toEqual(['Invalid PIN']);
    expect(library.checkout({ patron: 'nobody', item: '31000005', branch: 'MAIN' }).messages).toEqual([
      'Unknown patron',
    ]);
    expect(library.checkout({ patron: ANA, item: 'nothing', branch: 'MAIN' }).messages).toEqual([
      'Unknown item',
    ]);
  });

  it('refuses an item out to someone else, and renews one out to the same patron when both sides allow it', () => {
    expect(library.checkout({ patron: ANA, item: '31000001', branch: 'MAIN' }).messages).toEqual([
      'Item is checked out to another patron',
    ]);
    const again = library.checkout({ patron: ZOE, item: '31000001', branch: 'MAIN', scRenewalPolicy: true });
    expect(again).toMatchObject({ ok: true, renewal: true });
    expect(library.item('31000001')?.loan?.renewals).toBe(1);
    const notAllowed = library.checkout({
      patron: ZOE,
      item: '31000001',
      branch: 'MAIN',
      scRenewalPolicy: false,
    });
    expect(notAllowed).toMatchObject({ ok: false, renewal: false });
  });

  it('keeps an item on the hold shelf for the patron it waits for', () => {
    expect(library.checkout({ patron: ANA, item: '31000009', branch: 'MAIN' }).messages).toEqual([
      'Item is on hold for another patron',
    ]);
    const result = library.checkout({ patron: KARE, item: '31000009', branch: 'MAIN' });
    expect(result.ok).toBe(true);
    expect(library.item('31000009')?.onHoldShelf).toBeUndefined();
  });

  it('asks for a fee to be acknowledged, then charges it', () => {
    const refused = library.checkout({ patron: ANA, item: '31000012', branch: 'MAIN' });
    expect(refused).toMatchObject({ ok: false, fee: { type: 'rental', amountCents: 150 } });
    const ok = library.checkout({ patron: ANA, item: '31000012', branch: 'MAIN', feeAcknowledged: true });
    expect(ok.ok).toBe(true);
    expect(library.standing(library.patron(ANA)!).totalOwedCents).toBe(125 + 150);
  });

  it('refuses missing, lost and in-process items', () => {
    for (const item of ['31000016', '31000017', '31000018']) {
      expect(library.checkout({ patron: ANA, item, branch: 'MAIN' }).ok, item).toBe(false);
    }
  });

  it('cancels a checkout with a checkin (BI Y), and a checkin with a checkout, as SIP2 has it', () => {
    const lent = library.checkout({ patron: ANA, item: '31000005', branch: 'MAIN' });
    expect(library.checkin({ item: '31000005', branch: 'MAIN', cancel: true }).ok).toBe(true);
    expect(library.item('31000005')?.loan).toBeUndefined();
    library.checkout({ patron: ANA, item: '31000005', branch: 'MAIN' });
    library.checkin({ item: '31000005', branch: 'MAIN' });
    const back = library.checkout({ patron: ANA, item: '31000005', branch: 'MAIN', cancel: true });
    expect(back).toMatchObject({ ok: true, due: lent.due });
    expect(library.item('31000005')?.loan?.patron).toBe(ANA);
  });

  it('says how many parts a multi-part set has', () => {
    expect(library.checkout({ patron: ANA, item: '31000015', branch: 'MAIN' }).messages[0]).toMatch(
      /3 parts/,
    );
  });
});

describe('checkin', () => {
  it('puts an item back and resensitizes it', () => {
    const result = library.checkin({ item: '31000001', branch: 'MAIN' });
    expect(result).toMatchObject({ ok: true, resensitize: true, patron: ZOE });
    expect(result.alert).toBeUndefined();
    expect(library.item('31000001')?.loan).toBeUndefined();
  });

  it('does not resensitize an item without a security marker', () => {
    expect(library.checkin({ item: '31000019', branch: 'MAIN' }).resensitize).toBe(false);
  });

  it('charges the overdue fine per day late', () => {
    const result = library.checkin({ item: '31000003', branch: 'EAST' });
    expect(result.fineCents).toBe(5 * 25);
    expect(library.standing(library.patron(EMILE)!).finesCents).toBe(125);
  });

  it('traps an item with a hold for this branch: alert 01, hold shelf bin', () => {
    // Zoë's hold on 31000010, pickup MAIN; the item must come back first.
    library.checkout({ patron: ANA, item: '31000010', branch: 'MAIN' });
    const result = library.checkin({ item: '31000010', branch: 'MAIN' });
    expect(result).toMatchObject({ ok: true, alert: 'holdForThisLibrary', sortBin: 'HOLDS', holdFor: ZOE });
    expect(library.item('31000010')?.onHoldShelf?.patron).toBe(ZOE);
    expect(library.availableHoldsOf(ZOE).map((i) => i.barcode)).toEqual(['31000010']);
  });

  it('sends an item with a hold for another branch in transit: alert 02', () => {
    // Émile waits for 31000008 at EAST.
    const result = library.checkin({ item: '31000008', branch: 'MAIN' });
    expect(result).toMatchObject({ alert: 'holdForOtherBranch', sortBin: 'TRANSIT', destination: 'EAST' });
    expect(library.item('31000008')?.transitTo).toBe('EAST');
    const arrived = library.checkin({ item: '31000008', branch: 'EAST' });
    expect(arrived).toMatchObject({ alert: 'holdForThisLibrary', holdFor: EMILE });
  });

  it('sends an item of another branch home: alert 04', () => {
    const result = library.checkin({ item: '31000007', branch: 'MAIN' });
    expect(result).toMatchObject({
      ok: true,
      alert: 'sendToOtherBranch',
      sortBin: 'TRANSIT',
      destination: 'EAST',
    });
  });

  it('answers ok 0 for an unknown item', () => {
    expect(library.checkin({ item: 'nothing', branch: 'MAIN' })).toMatchObject({
      ok: false,
      resensitize: false,
    });
  });
});

describe('renew', () => {
  it('renews from today up to the renewal limit', () => {
    // 31000002 has been renewed once already; the limit is 2.
    const first = library.renew({ patron: ZOE, item: '31000002' });
    expect(first.ok).toBe(true);
    expect(first.due?.getTime()).toBe(START + 28 * DAY);
    const second = library.renew({ patron: ZOE, item: '31000002' });
    expect(second).toMatchObject({ ok: false, messages: ['Renewal limit reached'] });
  });

  it('does not renew an item someone else has on hold', () => {
    library.checkout({ patron: ANA, item: '31000008', branch: 'MAIN' });
    expect(library.renew({ patron: ANA, item: '31000008' })).toMatchObject({
      ok: false,
      messages: ['Item is on hold for another patron'],
    });
  });

  it('does not renew for a patron over the fine threshold, nor an item out to someone else', () => {
    library.patron(ZOE)!.fees.push({ id: 'X', type: 'damage', amountCents: 2000 });
    expect(library.renew({ patron: ZOE, item: '31000001' }).ok).toBe(false);
    expect(library.renew({ patron: ANA, item: '31000001' }).messages).toEqual([
      'Item is not checked out to you',
    ]);
  });

  it('renews all, listing what could not be renewed', () => {
    library.renew({ patron: ZOE, item: '31000002' });
    const result = library.renewAll(ZOE, undefined);
    expect(result).toMatchObject({ ok: true, renewed: ['31000001'], unrenewed: ['31000002'] });
  });
});

describe('patron standing', () => {
  it('computes the 14 flags from the rules and the fixture', () => {
    expect(library.standing(library.patron(BJORN)!).status).toMatchObject({
      chargePrivilegesDenied: true,
      renewalPrivilegesDenied: true,
      excessiveOutstandingFines: false,
      excessiveOutstandingFees: true,
    });
    expect(library.standing(library.patron(MEI)!).status).toMatchObject({
      tooManyItemsOverdue: true,
      chargePrivilegesDenied: true,
    });
    expect(library.standing(library.patron('21000010')!).status).toMatchObject({
      tooManyClaimsOfItemsReturned: true,
      recallOverdue: true,
      chargePrivilegesDenied: false,
    });
    const zoe = library.standing(library.patron(ZOE)!).status;
    expect(Object.values(zoe).every((flag) => flag === false)).toBe(true);
  });

  it('lets a card expire as the clock moves', async () => {
    expect(library.standing(library.patron(ZOE)!).expired).toBe(false);
    await clock.advance(400 * DAY);
    const standing = library.standing(library.patron(ZOE)!);
    expect(standing.expired).toBe(true);
    expect(standing.overdue).toHaveLength(2);
  });
});

describe('holds, fees, blocks, item properties', () => {
  it('adds, changes and deletes a hold', () => {
    const added = library.hold({ mode: 'add', patron: ANA, item: '31000005', pickup: 'EAST' });
    expect(added).toMatchObject({ ok: true, available: true, position: 1, pickup: 'EAST' });
    expect(library.hold({ mode: 'add', patron: ANA, item: '31000005' }).ok).toBe(false);
    expect(library.hold({ mode: 'change', patron: ANA, item: '31000005', pickup: 'MAIN' })).toMatchObject({
      ok: true,
      pickup: 'MAIN',
    });
    expect(library.hold({ mode: 'delete', patron: ANA, item: '31000005' }).ok).toBe(true);
    expect(library.item('31000005')?.holdQueue).toEqual([]);
  });

  it('places a hold by title and refuses patrons without hold privileges', () => {
    expect(library.hold({ mode: 'add', patron: ANA, title: 'Pippi Långstrump' }).item?.barcode).toBe(
      '31000028',
    );
    expect(library.hold({ mode: 'add', patron: GRZEGORZ, item: '31000005' }).ok).toBe(false);
  });

  it('takes payments against a fee or the oldest fees, never more than owed', () => {
    expect(library.payFee({ patron: BJORN, amount: '20.00' })).toMatchObject({ accepted: false });
    expect(library.payFee({ patron: BJORN, amount: '5.00', feeId: 'F-1002' })).toMatchObject({
      accepted: true,
      remainingCents: 750,
    });
    expect(library.payFee({ patron: BJORN, amount: '1.00', currency: 'USD' }).accepted).toBe(false);
    expect(library.payFee({ patron: BJORN, amount: '7.50', currency: 'EUR' }).remainingCents).toBe(0);
    expect(library.checkout({ patron: BJORN, item: '31000005', branch: 'MAIN' }).ok).toBe(true);
  });

  it('blocks and re-enables a patron', () => {
    library.blockPatron(ANA, 'Card retained', true);
    expect(library.standing(library.patron(ANA)!).status.chargePrivilegesDenied).toBe(true);
    library.enablePatron(ANA);
    expect(library.standing(library.patron(ANA)!).status.chargePrivilegesDenied).toBe(false);
    // A lost card is a condition, not a block: enabling does not clear it.
    library.enablePatron(CHIDI);
    expect(library.standing(library.patron(CHIDI)!).status.cardReportedLost).toBe(true);
  });

  it('updates item properties', () => {
    expect(library.updateItemProperties('31000005', 'spine damaged')?.properties).toBe('spine damaged');
    expect(library.updateItemProperties('nothing', 'x')).toBeUndefined();
  });
});
