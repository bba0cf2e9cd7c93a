/**
 * The simulator's answers where issue 11 found them wrong, each written from
 * the 3M SIP2 2.00 spec's words (and, where the spec leaves a choice, from what
 * the reference servers send). Real TCP, frames read with the codec and, for
 * fixed fields, as the characters on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { IlsFixtureInput } from '../../../simulators/ils/fixture.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { AnySip2MessageInput } from '../../../src/protocols/sip2/index.js';
import { simulatorLinkPerTest } from './link-per-test.js';
import { SAMPLE_FIXTURE } from './paths.js';
import { sampleFixtureInput } from './sample.js';
import { checkinMessage, type Sip2TestClient } from './sip2-client.js';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const TZ = 'Europe/Stockholm';
const now = () => new Date(START);
const AO = 'RIVERSIDE';

const ils = simulatorLinkPerTest();

async function start(
  fixture: string | IlsFixtureInput = SAMPLE_FIXTURE,
  login = 'kiosk1',
): Promise<Sip2TestClient> {
  const client = await ils.start(fixture, new ManualClock(START), { timeZone: TZ });
  const account = ils.simulator().state.fixture.accounts.find((a) => a.loginUserId === login)!;
  expect(await client.login(account.loginUserId, account.password)).toBe(true);
  return client;
}

/** The answer's frame as text (terminator and AY/AZ left off) and its decoded message. */
async function exchange(link: Sip2TestClient, request: AnySip2MessageInput) {
  link.send(request);
  const { frame } = await link.nextFrame();
  const wire = frame.toString('utf8').replace(/AY\dAZ[0-9A-F]{4}$/, '');
  const decoded = link.decode(frame);
  if (!decoded.ok) throw decoded.error;
  return { wire, message: decoded.message as Record<string, unknown> & { type: string } };
}

const checkout = (patron: string, item: string, extra: Record<string, unknown> = {}): AnySip2MessageInput =>
  ({
    type: 'checkout',
    scRenewalPolicy: true,
    noBlock: false,
    transactionDate: now(),
    institutionId: AO,
    patronIdentifier: patron,
    itemIdentifier: item,
    terminalPassword: '',
    ...extra,
  }) as AnySip2MessageInput;
const renew = (patron: string, item: string): AnySip2MessageInput => ({
  type: 'renew',
  thirdPartyAllowed: false,
  noBlock: false,
  transactionDate: now(),
  institutionId: AO,
  patronIdentifier: patron,
  itemIdentifier: item,
});
const checkin = (item: string): AnySip2MessageInput => checkinMessage(item, now());

describe('desensitize (12, 30): "Y … the item should be desensitized; N … should not"', () => {
  it('a refused checkout says N, an unknown item too (120NUN, as the reference servers send)', async () => {
    const link = await start();
    expect((await exchange(link, checkout('21000005', '31000005'))).wire.slice(0, 6)).toBe('120NNN');
    expect((await exchange(link, checkout('21000006', 'no-such-item'))).wire.slice(0, 6)).toBe('120NUN');
    expect((await exchange(link, checkout('nobody', '31000005'))).wire.slice(0, 6)).toBe('120NNN');
  });

  it('a refused renewal says N; a renewal (29) says N too: the item is out and already desensitized', async () => {
    const link = await start();
    expect((await exchange(link, renew('21000001', 'no-such-item'))).wire.slice(0, 6)).toBe('300NUN');
    expect((await exchange(link, renew('21000006', '31000001'))).wire.slice(0, 6)).toBe('300NNN');
    expect((await exchange(link, renew('21000001', '31000001'))).wire.slice(0, 6)).toBe('301YNN');
  });

  it('a checkout says Y, and so does a checkout that renews (the item is on the pad: 121YNY)', async () => {
    const link = await start();
    expect((await exchange(link, checkout('21000006', '31000005'))).wire.slice(0, 6)).toBe('121NNY');
    expect((await exchange(link, checkout('21000001', '31000001'))).wire.slice(0, 6)).toBe('121YNY');
    // No security marker, nothing to desensitize.
    expect((await exchange(link, checkout('21000006', '31000019'))).wire.slice(0, 6)).toBe('121NYN');
  });
});

describe('block patron (01), answered by a 24', () => {
  it('says its screen message once', async () => {
    const link = await start();
    const { message } = await exchange(link, {
      type: 'blockPatron',
      cardRetained: false,
      transactionDate: now(),
      institutionId: AO,
      blockedCardMessage: 'Card retained by kiosk',
      patronIdentifier: '21000006',
      terminalPassword: '',
    });
    expect(message.type).toBe('patronStatusResponse');
    const lines = message.screenMessage as string[];
    expect(lines.filter((line) => line === 'Card retained by kiosk')).toHaveLength(1);
    expect(new Set(lines).size).toBe(lines.length);
  });
});

describe('patron enable (25)', () => {
  it('with a wrong patron password enables nothing and says CQ N, as SIPServer does', async () => {
    const link = await start();
    const enable = (password: string) =>
      exchange(link, {
        type: 'patronEnable',
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000005',
        patronPassword: password,
      });
    const wrong = await enable('0000');
    expect(wrong.message).toMatchObject({ validPatron: true, validPatronPassword: false });
    expect(wrong.wire.slice(2, 6)).toBe('YYYY');
    expect(ils.simulator().state.patron('21000005')?.blocked).toBe(true);
    const right = await enable('5555');
    expect(right.message).toMatchObject({ validPatronPassword: true });
    expect(right.wire.slice(2, 6)).toBe('    ');
  });
});

describe('checkin (10): "AA … the patron who had the item checked out"', () => {
  it('names the borrower of the loan it ended; a trapped item’s hold patron is not in AA', async () => {
    const link = await start();
    const plain = await exchange(link, checkin('31000002'));
    expect(plain.message).toMatchObject({ ok: true, patronIdentifier: '21000001' });
    await exchange(link, checkout('21000006', '31000010'));
    const trapped = await exchange(link, checkin('31000010'));
    expect(trapped.message).toMatchObject({ ok: true, alert: true, patronIdentifier: '21000006' });
    // The hold patron goes in CY, the field SIPServer, Koha and Evergreen use for it.
    expect(trapped.message.extraFields).toEqual(expect.arrayContaining([{ id: 'CY', value: '21000001' }]));
  });

  it('an item that was not checked out: ok 0 with a screen message, by default', async () => {
    const link = await start();
    const { wire, message } = await exchange(link, checkin('31000005'));
    expect(wire.slice(0, 6)).toBe('100YNN');
    expect(message.screenMessage).toEqual(['Item was not checked out']);
    expect(message.patronIdentifier).toBeUndefined();
  });

  it('an account with checkinNotCheckedOut: accept answers ok 1', async () => {
    const fixture = sampleFixtureInput();
    fixture.accounts.push({
      loginUserId: 'lenient',
      password: 'lenientpw',
      location: 'MAIN',
      institution: AO,
      checkinNotCheckedOut: 'accept',
    });
    const link = await start(fixture, 'lenient');
    const { wire, message } = await exchange(link, checkin('31000005'));
    expect(wire.slice(0, 6)).toBe('101YNN');
    expect(message.screenMessage).toEqual(['Item was not checked out']);
  });
});

describe('patron status (24): "language … the language of the patron status request"', () => {
  it('echoes the 23’s language, not the one the library keeps for the patron', async () => {
    const link = await start();
    const request = (language: string) =>
      exchange(link, {
        type: 'patronStatusRequest',
        language: { code: language },
        transactionDate: now(),
        institutionId: AO,
        patronIdentifier: '21000001',
        terminalPassword: '',
        patronPassword: '1234',
      });
    expect((await request('006')).wire.slice(16, 19)).toBe('006');
    expect((await request('000')).wire.slice(16, 19)).toBe('000');
  });
});

describe('patron information (64): the six counts are digits, 0000 to 9999', () => {
  it('recalls: 0000 when there are none, not four blanks', async () => {
    const link = await start();
    const { wire, message } = await exchange(link, {
      type: 'patronInformation',
      language: 'english',
      transactionDate: now(),
      summary: null,
      institutionId: AO,
      patronIdentifier: '21000001',
    });
    expect(wire.slice(37, 61)).toMatch(/^\d{24}$/);
    expect(wire.slice(53, 57)).toBe('0000');
    expect(message.recallItemsCount).toBe(0);
  });
});

describe('patron information (64): its screen message (AF) says what its status flags say', () => {
  /** The 64's flags that are Y, and its AF, as a kiosk reads them off the wire. */
  async function patronInformation(link: Sip2TestClient, patron: string) {
    const { message } = await exchange(link, {
      type: 'patronInformation',
      language: 'english',
      transactionDate: now(),
      summary: null,
      institutionId: AO,
      patronIdentifier: patron,
    });
    const flags = Object.entries(message.patronStatus as Record<string, boolean>)
      .filter(([, on]) => on)
      .map(([flag]) => flag);
    return { flags, words: (message.screenMessage as string[] | undefined) ?? [] };
  }

  it('names each privilege the flags deny, and only those, each reason once', async () => {
    const fixture = sampleFixtureInput();
    fixture.patrons?.push(
      {
        barcode: '21000012',
        pin: '1212',
        name: 'Rut Sand',
        homeBranch: 'MAIN',
        expires: '+500d',
        suspendedPrivileges: ['renewal', 'hold'],
      },
      {
        barcode: '21000013',
        pin: '1313',
        name: 'Ivo Berg',
        homeBranch: 'MAIN',
        expires: '+500d',
        status: { tooManyItemsLost: true, tooManyItemsBilled: true },
      },
    );
    const link = await start(fixture);
    const cases: Array<[string, string[], string[]]> = [
      // Borrowing and holds suspended: both said, not borrowing alone.
      [
        '21000011',
        ['chargePrivilegesDenied', 'holdPrivilegesDenied'],
        ['Borrowing suspended, please see staff', 'Holds suspended, please see staff'],
      ],
      // Renewals and holds suspended, borrowing allowed: nothing said of borrowing.
      [
        '21000012',
        ['renewalPrivilegesDenied', 'holdPrivilegesDenied'],
        ['Renewals suspended, please see staff', 'Holds suspended, please see staff'],
      ],
      // Money owed over the threshold denies borrowing and renewing: said once.
      [
        '21000003',
        ['chargePrivilegesDenied', 'renewalPrivilegesDenied', 'excessiveOutstandingFees'],
        ['Outstanding fines and fees too high'],
      ],
      ['21000008', ['chargePrivilegesDenied', 'tooManyItemsOverdue'], ['Too many overdue items']],
      // Conditions flagged on their own (no privilege denied) are said too.
      [
        '21000010',
        ['tooManyClaimsOfItemsReturned', 'recallOverdue'],
        ['Too many claims of items returned', 'Recalled item overdue'],
      ],
      [
        '21000013',
        ['tooManyItemsLost', 'tooManyItemsBilled'],
        ['Too many items lost', 'Too many items billed'],
      ],
      [
        '21000007',
        [
          'chargePrivilegesDenied',
          'renewalPrivilegesDenied',
          'recallPrivilegesDenied',
          'holdPrivilegesDenied',
          'cardReportedLost',
        ],
        ['Card reported lost'],
      ],
      ['21000001', [], []],
    ];
    for (const [patron, flags, words] of cases)
      expect(await patronInformation(link, patron), patron).toEqual({ flags, words });
  });
});

describe('a refused renewal (30): AJ, a required field, names the loan whoever was refused', () => {
  const renew = (patron: string, pin: string, item: string): AnySip2MessageInput => ({
    type: 'renew',
    thirdPartyAllowed: false,
    noBlock: false,
    transactionDate: now(),
    institutionId: AO,
    patronIdentifier: patron,
    patronPassword: pin,
    itemIdentifier: item,
  });

  it("names the loan's title whether the loan or the patron was refused, and none for an item the library does not know", async () => {
    const link = await start(sampleFixtureInput());
    ils.simulator().state.item('31000002')!.loan!.renewals = 2;
    const cases: Array<[AnySip2MessageInput, string, string]> = [
      [renew('21000001', '1234', '31000002'), 'Les Misérables', 'Renewal limit reached'],
      [renew('21000001', '0000', '31000002'), 'Les Misérables', 'Invalid PIN'],
      [renew('29999999', '1234', '31000001'), 'Pippi Långstrump', 'Unknown patron'],
      [renew('21000001', '1234', '39999999'), '', 'Unknown item'],
    ];
    for (const [request, title, words] of cases) {
      const answer = await link.request(request, 'renewResponse');
      expect(answer, words).toMatchObject({ ok: false, titleIdentifier: title, screenMessage: [words] });
    }
  });
});
