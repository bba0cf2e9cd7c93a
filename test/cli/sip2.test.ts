/**
 * `carrel sip2`, run in-process against the ILS simulator over real TCP, with its
 * stdout and stderr captured: the answers, the exit statuses, the messages that
 * say what to do, and the wire trace.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { sip2Command } from '../../src/cli/commands/sip2.js';
import { kiosk, misbehavingServer, runConsole, SipTap, startSimulatorWithout } from './sip2-rig.js';

let simulator: IlsSimulator;
let tap: SipTap;

beforeAll(async () => {
  simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
  tap = await SipTap.start(simulator.port);
});
afterAll(async () => {
  await tap.close();
  await simulator.close();
});
beforeEach(() => tap.reset());

/** `carrel sip2` as kiosk1 through the tap (the last --user and --password given win). */
const sip2 = (...argv: string[]) => runConsole(kiosk(tap.port, ...argv));

describe('carrel sip2', () => {
  it('status prints the ACS status as JSON', async () => {
    const { code, json } = await sip2('status');
    expect(code).toBe(0);
    expect(json).toMatchObject({
      command: 'status',
      message: { type: 'acsStatus', onlineStatus: true },
      checksum: 'valid',
    });
  });

  it('checkout and checkin take the ids as arguments', async () => {
    const checkout = await sip2('checkout', '21000009', '31000005', '--pin', '9999');
    expect(checkout.code).toBe(0);
    expect(checkout.json).toMatchObject({
      command: 'checkout',
      message: { type: 'checkoutResponse', ok: true, itemIdentifier: '31000005' },
      verifiedAfterLostAnswer: false,
    });
    const item = await sip2('item-info', '31000005');
    expect(item.json.message.circulationStatus.name).toBe('charged');
    const checkin = await sip2('checkin', '31000005');
    expect(checkin.json).toMatchObject({ message: { type: 'checkinResponse', ok: true } });
  });

  it('raw sends a frame typed by hand', async () => {
    const { code, json } = await sip2('raw', '9300CNkiosk1|COkiosk1pw|CPMAIN|');
    expect(code).toBe(0);
    expect(json.message).toMatchObject({ type: 'loginResponse', ok: true });
  });

  it('raw 97 with --error-detection goes out as 97AZFEF5, and the ILS resends its last answer', async () => {
    const { code, json } = await sip2('raw', '97');
    expect(code).toBe(0);
    expect(tap.frames().at(-1)).toBe('97AZFEF5');
    expect(json.message.type).toBe('acsStatus');
  });

  it('sends the institution the ILS gave in its 98 when --institution is not given', async () => {
    await sip2('item-info', '31000001');
    // AO is the first field after the 17's date.
    expect(tap.frames().find((frame) => frame.startsWith('17'))).toMatch(/^17.{18}AORIVERSIDE\|/);
    tap.reset();
    await sip2('item-info', '31000001', '--institution', 'ELSEWHERE');
    expect(tap.frames().find((frame) => frame.startsWith('17'))).toMatch(/^17.{18}AOELSEWHERE\|/);
  });

  it("fee-paid pays in the ILS's currency (BH of the patron), not USD", async () => {
    const { code, json } = await sip2('fee-paid', '21000003', '2.50', '--pin', '3333');
    expect(code).toBe(0);
    expect(json.message).toMatchObject({ type: 'feePaidResponse', paymentAccepted: true });
    expect(tap.codes()).toEqual(['93', '99', '63', '37']);
    const feePaid = tap.frames().at(-1)!;
    expect(feePaid.slice(24, 27)).toBe('EUR');
  });

  it('sip2Command writes to the process stdout', async () => {
    let written = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    try {
      const code = await sip2Command.run([
        '--host',
        '127.0.0.1',
        '--port',
        String(simulator.port),
        '--user',
        'sorter',
        '--password',
        'sorterpw',
        '--charset',
        'ascii',
        'item-info',
        '31000001',
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(written).message).toMatchObject({
      type: 'itemInformationResponse',
      itemIdentifier: '31000001',
    });
  });
});

describe('carrel sip2 --wire', () => {
  const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d`;
  /**
   * The trace without its clocks: each line's time and the SIP2 date fields
   * (YYYYMMDDZZZZHHMMSS). A PIN such as 1234 can be part of a time (11:23:46
   * is "112346"), so a secret is looked for only where data goes.
   */
  const withoutTimes = (trace: string) =>
    trace.replace(new RegExp(`^${TIME} `, 'gm'), '').replace(/\d{8}[ 0-9A-Z]{4}\d{6}/g, '<date>');

  it('traces each frame with its time; PINs, passwords, patron data and item barcodes masked', async () => {
    const { code, json, stderr } = await sip2(
      'patron-info',
      '21000001',
      '--pin',
      '1234',
      '--summary',
      'charged',
      '--wire',
    );
    expect(code).toBe(0);
    expect(json.message).toMatchObject({
      type: 'patronInformationResponse',
      personalName: 'Zoë Åström',
      chargedItems: expect.arrayContaining(['31000001']),
    });
    expect(stderr).toMatch(new RegExp(`^${TIME} > 93`, 'm'));
    expect(stderr).toMatch(new RegExp(`^${TIME} > 63`, 'm'));
    expect(stderr).toMatch(new RegExp(`^${TIME} < 64`, 'm'));
    expect(stderr).toContain('AA***|');
    expect(stderr).toContain('AU***|');
    for (const secret of ['1234', 'kiosk1pw', '21000001', 'Zo', '31000001'])
      expect(withoutTimes(stderr)).not.toContain(secret);
  });

  it('--unmask-items shows item barcodes; patron data stays masked', async () => {
    const { stderr } = await sip2(
      'patron-info',
      '21000001',
      '--pin',
      '1234',
      '--summary',
      'charged',
      '--wire',
      '--unmask-items',
    );
    expect(stderr).toContain('AU31000001|');
    expect(stderr).toContain('AA***|');
    for (const secret of ['1234', 'kiosk1pw', '21000001', 'Zo'])
      expect(withoutTimes(stderr)).not.toContain(secret);
  });

  it('shows bytes outside printable ASCII in hex, as they went over the wire', async () => {
    const { stderr } = await sip2('item-info', '31000001', '--wire');
    // "Pippi Långstrump" in UTF-8: å is C3 A5.
    expect(stderr).toContain(String.raw`AJPippi L\xC3\xA5ngstrump|`);
    expect(stderr).toContain('AB***|');
  });
});

describe('carrel sip2 exit status', () => {
  it('1 when the ILS refuses a checkout; an empty due date on it is no free-form date', async () => {
    // 31000001 is on loan to 21000001.
    const { code, json, stderr } = await sip2('checkout', '21000009', '31000001', '--pin', '9999');
    expect(code).toBe(1);
    expect(json).toMatchObject({
      message: { type: 'checkoutResponse', ok: false },
      refused: expect.stringMatching(/ok 0/),
    });
    expect(json.warnings).toEqual([]);
    expect(stderr).toMatch(/^sip2 checkout: the ILS refused it \(ok 0\)/m);
  });

  it('1 for an unknown patron, and for a wrong PIN', async () => {
    const unknown = await sip2('patron-status', '29999999');
    expect(unknown.code).toBe(1);
    expect(unknown.json.refused).toMatch(/^invalid patron \(BL N\)/);
    const wrongPin = await sip2('patron-info', '21000001', '--pin', '0000');
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.json.refused).toMatch(/^invalid PIN \(CQ N\)/);
    // No PIN asked about: the 23's empty AD answered CQ N (as SIPServer does) is no refusal.
    const noPin = await sip2('patron-status', '21000001');
    expect(noPin.json.message).toMatchObject({ validPatron: true, validPatronPassword: false });
    expect(noPin.code).toBe(0);
  });

  it('1 when the payment is not accepted', async () => {
    const { code, json } = await sip2('fee-paid', '21000003', '1.00', '--pin', '3333', '--currency', 'USD');
    expect(code).toBe(1);
    expect(json.message).toMatchObject({ type: 'feePaidResponse', paymentAccepted: false });
  });

  it('1 when the login is refused', async () => {
    const { code, json } = await sip2('--password', 'wrong', 'item-info', '31000001');
    expect(code).toBe(1);
    expect(json.error).toMatchObject({
      code: 'ils_login_refused',
      message: expect.stringMatching(/--password/),
    });
  });

  it('2 for bad usage: a usage error, before anything is sent', async () => {
    await expect(sip2('fly')).rejects.toMatchObject({ code: 'usage' });
    await expect(sip2('checkout', 'only-a-patron')).rejects.toMatchObject({ code: 'usage' });
    await expect(sip2('patron-info', 'P', '--summary', 'everything')).rejects.toMatchObject({
      code: 'usage',
    });
    await expect(sip2('fee-paid', 'P', '1.00', '--currency', 'euro')).rejects.toMatchObject({
      code: 'usage',
    });
    await expect(sip2('item-info', 'I', '--save-history')).rejects.toMatchObject({ code: 'usage' });
    await expect(sip2('--user', 'a|b', 'item-info', 'I')).rejects.toMatchObject({ code: 'usage' });
    expect(tap.codes()).toEqual([]);
  });

  it('3 when the ILS cannot be reached', async () => {
    const { code, json } = await runConsole(['--host', '127.0.0.1', '--port', '1', 'item-info', 'I']);
    expect(code).toBe(3);
    expect(json).toMatchObject({ command: 'item-info', error: { code: 'econnrefused' } });
  });

  it('3 when the ILS accepts the connection but never answers the login: said so, not a bare timeout', async () => {
    const silent = await misbehavingServer('silent');
    try {
      const { code, json, stderr } = await runConsole(
        kiosk(silent.port, '--timeout', '200', 'item-info', 'I'),
      );
      expect(code).toBe(3);
      expect(json.error.code).toBe('ils_login_unanswered');
      expect(json.error.message).toMatch(/accepted the connection but never answered the login \(93\)/);
      expect(stderr).toContain('never answered the login (93)');
    } finally {
      await silent.close();
    }
  });

  it('3 when the ILS drops the connection', async () => {
    // The login is answered; the 99 that follows it is not.
    simulator.setFaults({ dropAfterMessages: 1 });
    try {
      const { code, json } = await sip2('patron-status', '21000001');
      expect(code).toBe(3);
      expect(json.error.code).toBe('ils_connection_lost');
    } finally {
      simulator.setFaults({});
    }
  });
});

describe('carrel sip2 without --user', () => {
  it('the simulator answers a 99 before any login: status sends the one 99 alone', async () => {
    const { code, json } = await runConsole(['--host', '127.0.0.1', '--port', String(tap.port), 'status']);
    expect(code).toBe(0);
    expect(json.message.type).toBe('acsStatus');
    expect(tap.codes()).toEqual(['99']);
  });

  it('a request the simulator drops for want of a login: "the ILS wants a login first"', async () => {
    const { code, json } = await runConsole([
      '--host',
      '127.0.0.1',
      '--port',
      String(tap.port),
      'item-info',
      '31000001',
    ]);
    expect(code).toBe(3);
    expect(json.error).toMatchObject({
      code: 'ils_login_required',
      message: expect.stringContaining('the ILS wants a login first (--user/--password)'),
    });
  });

  it('a server that hangs up on a 99 before login: the same advice', async () => {
    const server = await misbehavingServer('hang-up');
    try {
      const { code, json } = await runConsole([
        '--host',
        '127.0.0.1',
        '--port',
        String(server.port),
        'status',
      ]);
      expect(code).toBe(3);
      expect(json.error.message).toBe(
        'the ILS closed the connection instead of answering the 99: the ILS wants a login first (--user/--password)',
      );
    } finally {
      await server.close();
    }
  });
});

describe('carrel sip2 and the supported messages (BX) of the 98', () => {
  let partial: IlsSimulator;
  let partialTap: SipTap;
  beforeAll(async () => {
    // An ILS that does not answer what its BX calls unsupported.
    partial = await startSimulatorWithout(['hold', 'renewAll'], 'silence');
    partialTap = await SipTap.start(partial.port);
  });
  afterAll(async () => {
    await partialTap.close();
    await partial.close();
  });

  it('a request the BX says is unsupported is not sent: exit 1, saying so', async () => {
    const { code, json, stderr } = await runConsole(kiosk(partialTap.port, 'hold', '21000001', '31000005'));
    expect(code).toBe(1);
    expect(json.error).toMatchObject({
      code: 'sip2_unsupported',
      message: expect.stringContaining('hold (15)'),
    });
    expect(stderr).toContain('--force');
    expect(partialTap.codes()).toEqual(['93', '99']);
  });

  it('--force sends it; the timeout then says what the BX said', async () => {
    partialTap.reset();
    const { code, json } = await runConsole(
      kiosk(partialTap.port, '--timeout', '300', 'renew-all', '21000001', '--force'),
    );
    expect(partialTap.codes()).toEqual(['93', '99', '65']);
    expect(code).toBe(3);
    expect(json.error).toMatchObject({
      code: 'ils_timeout',
      message: expect.stringContaining('says it does not support renewAll (65)'),
    });
  });
});

describe('carrel sip2 login and status send what they say, once', () => {
  it('status sends one 99, after the one 93 login', async () => {
    const { code, json } = await sip2('status');
    expect(code).toBe(0);
    expect(json.message).toMatchObject({ type: 'acsStatus', onlineStatus: true });
    expect(tap.codes()).toEqual(['93', '99']);
  });

  it('login sends one 93 and nothing else; --wire shows it once, masked', async () => {
    const { code, json, stderr } = await sip2('login', '--wire');
    expect(code).toBe(0);
    expect(json).toMatchObject({ command: 'login', message: { type: 'loginResponse', ok: true } });
    expect(tap.codes()).toEqual(['93']);
    expect(stderr.match(/ > /g)).toHaveLength(1);
    expect(stderr).toMatch(/ > 9300CNkiosk1\|CO\*\*\*\|/);
    expect(stderr).not.toContain('kiosk1pw');
  });

  it('login refused: the 94 with ok 0 is printed and the console exits 1', async () => {
    const { code, json } = await sip2('--password', 'wrong', 'login');
    expect(code).toBe(1);
    expect(json).toMatchObject({ command: 'login', message: { type: 'loginResponse', ok: false } });
    expect(tap.codes()).toEqual(['93']);
  });

  it('with --per-transaction: log in, the one 99, end the session', async () => {
    const { code } = await sip2('status', '--per-transaction');
    expect(code).toBe(0);
    expect(tap.codes()).toEqual(['93', '99', '35']);
  });

  it('other commands go through the pooled client', async () => {
    const { code } = await sip2('item-info', '31000001');
    expect(code).toBe(0);
    expect(tap.codes()).toEqual(['93', '99', '17']);
  });
});
