import { once } from 'node:events';
import { connect } from 'node:net';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { IlsClient } from '../../../src/devices/ils/index.js';
import { parseSip2RelayConfig, Sip2RelayServer } from '../../../src/gateway/relay/index.js';
import { decodeSip2Message } from '../../../src/protocols/sip2/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import { until } from '../../helpers/until.js';
import {
  TRANSCRIPT_DATE as D,
  journaledCheckin,
  SELF_CHECK_LOGIN as LOGIN,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

describe('Sip2RelayServer', () => {
  const { rig, kiosk, rigWithSelfCheck, cleanups } = useRelayRigs();

  it('translates charsets: an IBM850 self-check through a UTF-8 ILS link keeps accented names', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    const login = await link.request(withErrorDetection('9300CNold850|COold850pw|', 0, 'ibm850'));
    expect(login?.toString('latin1')).toMatch(/^941AY0AZ/);
    const answer = await link.request(
      withErrorDetection(`63001${D}          AORIVERSIDE|AA21000001|AC|AD1234|`, 1, 'ibm850'),
    );
    expect(answer).toBeDefined();
    // The name is on the wire in IBM850 bytes, and the checksum sums those bytes.
    expect(answer!.includes(iconv.encode('AEZoë Åström|', 'cp850'))).toBe(true);
    expect(answer!.includes(Buffer.from('Zoë', 'utf8'))).toBe(false);
    const decoded = decodeSip2Message(answer!, { charset: 'ibm850' });
    expect(decoded.ok && decoded.checksum).toBe('valid');
    expect(
      decoded.ok && decoded.message.type === 'patronInformationResponse' && decoded.message.personalName,
    ).toBe('Zoë Åström');
    expect(decoded.ok && decoded.message.sequence).toBe(1);
    // This account's terminator is CR LF.
    expect(link.received.subarray(-2).toString('latin1')).toBe('\r\n');
  });

  it('reads a login in the charset of the account it names: an IBM850 self-check’s accented password', async () => {
    const { relay } = await rig({
      relay: {
        port: 0,
        accounts: [
          { kioskUser: 'kiosk-muller', kioskPassword: 'Müller1', charset: 'ibm850' },
          { kioskUser: 'kiosk-zoe', kioskPassword: 'Zoë2', charset: 'utf-8' },
        ],
      },
    });
    const inIbm850 = await kiosk(relay.port);
    const login = withErrorDetection('9300CNkiosk-muller|COMüller1|CPMAIN|', 0, 'ibm850');
    expect(login.includes(Buffer.from([0x81]))).toBe(true); // ü in IBM850
    expect((await inIbm850.request(login))?.toString('latin1')).toMatch(/^941AY0AZ/);
    // Logged in: the next request is read, and answered, in IBM850.
    expect((await inIbm850.request(withErrorDetection('9900302.00', 1, 'ibm850')))?.toString()).toMatch(
      /^98Y/,
    );
    // A UTF-8 account still reads its own; the IBM850 one is not matched by UTF-8 bytes of its password.
    const inUtf8 = await kiosk(relay.port);
    const zoe = withErrorDetection('9300CNkiosk-zoe|COZoë2|CPMAIN|', 0, 'utf-8');
    expect((await inUtf8.request(zoe))?.toString()).toMatch(/^941/);
    const wrongCharset = await kiosk(relay.port);
    const muller = withErrorDetection('9300CNkiosk-muller|COMüller1|CPMAIN|', 0, 'utf-8');
    expect((await wrongCharset.request(muller))?.toString()).toMatch(/^940/);
  });

  it('answers a sorter without error detection without AY/AZ, in ASCII', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    expect((await link.request(Buffer.from('9300CNsorter|COsorterpw|\r')))?.toString()).toBe('941');
    const answer = (await link.request(Buffer.from(`17${D}AORIVERSIDE|AB31000007|AC|\r`)))?.toString(
      'latin1',
    );
    expect(answer).toMatch(/^18/);
    expect(answer).toContain('AJCien anos de soledad|');
    expect(answer).not.toContain('AY');
  });

  it('refuses a wrong login, drops after three, and drops requests before login', async () => {
    const { relay } = await rig();
    const link = await kiosk(relay.port);
    // 99 before login is answered.
    expect((await link.request(withErrorDetection('9900302.00', 0)))?.toString()).toMatch(/^98Y/);
    for (let i = 1; i <= 3; i++) {
      const answer = await link.request(withErrorDetection('9300CNselfcheck-1|COwrong|', i));
      expect(answer?.toString()).toMatch(new RegExp(`^940AY${i}AZ`));
    }
    expect(await link.next()).toBeUndefined();
    expect(link.closed).toBe(true);

    const early = await kiosk(relay.port);
    expect(await early.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 0))).toBeUndefined();
    expect(early.closed).toBe(true);
  });

  it('answers a self-check before it has logged in in the framing it speaks: CR LF, AY/AZ only when it sent them', async () => {
    const { relay } = await rig({
      relay: {
        accounts: [
          { kioskUser: 'koha-sc', kioskPassword: 'kohapw', terminator: 'CRLF', errorDetection: false },
        ],
      },
    });
    // A Koha-style self-check: CR LF, no error detection, a 99 before its 93 — and a mistyped password.
    const link = await kiosk(relay.port);
    const answers: string[] = [];
    for (const request of ['9900302.00', '9300CNkoha-sc|COkohapvv|', '9300CNkoha-sc|COkohapw|']) {
      const before = link.received.length;
      await link.request(Buffer.from(`${request}\r\n`, 'latin1'));
      answers.push(link.received.subarray(before).toString('latin1'));
    }
    expect(answers[0]).toMatch(/^98Y.*\|\r\n$/);
    expect(answers.slice(1)).toEqual(['940\r\n', '941\r\n']);
    // One with error detection and CR is answered so, as before.
    const checked = await kiosk(relay.port);
    const refused = await checked.request(withErrorDetection('9300CNkoha-sc|COkohapvv|', 4));
    expect(checked.received.toString('latin1')).toMatch(/^940AY4AZ[0-9A-F]{4}\r$/);
    expect(refused?.toString('latin1')).toMatch(/^940AY4/);
  });

  it('answers every request of a self-check that shuts its sending side after the last one', async () => {
    const { relay, simulator } = await rig();
    // One transaction per connection, the way a script or a sorter may: all sent, its side shut, then read.
    const socket = connect({ host: '127.0.0.1', port: relay.port, allowHalfOpen: true });
    cleanups.push(() => {
      socket.destroy();
    });
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    socket.end(
      Buffer.concat([
        withErrorDetection(LOGIN, 0),
        withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000009|AB31000005|AC|AD9999|`, 1),
        withErrorDetection(`35${D}AORIVERSIDE|AA21000009|AC|`, 2),
      ]),
    );
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the relay did not close')), 5000)),
    ]);
    // The checkout was done at the ILS: the self-check is told so.
    expect(simulator.state.loansOf('21000009').map((loan) => loan.item)).toContain('31000005');
    expect(received.split('\r').filter((frame) => frame !== '')).toEqual([
      expect.stringMatching(/^941AY0/),
      expect.stringMatching(/^121.*\|AY1AZ[0-9A-F]{4}$/),
      expect.stringMatching(/^36Y.*\|AY2AZ[0-9A-F]{4}$/),
    ]);
  });

  it('acts on nothing a self-check sends after its third failed login, though it keeps its side open', async () => {
    const capture = capturingLogger();
    const { relay, simulator } = await rig({ logger: capture.logger });
    const socket = connect({ host: '127.0.0.1', port: relay.port, allowHalfOpen: true });
    cleanups.push(() => {
      socket.destroy();
    });
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    let ended = false;
    socket.on('end', () => {
      ended = true;
    });
    socket.on('error', () => {});
    for (let i = 0; i < 3; i++) socket.write(withErrorDetection('9300CNselfcheck-1|COwrong|', i));
    await until(() => (ended ? true : undefined), 3000, 'the relay did not end the link');
    // Still writing: the right password, then a checkout, in one packet.
    socket.write(
      Buffer.concat([
        withErrorDetection(LOGIN, 3),
        withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000009|AB31000005|AC|AD9999|`, 4),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(simulator.state.loansOf('21000009').map((loan) => loan.item)).not.toContain('31000005');
    expect(received.split('\r').filter((frame) => frame !== '')).toHaveLength(3);
    // Not logged in by a fourth try, not even unanswered.
    expect(capture.text()).not.toContain('self-check logged in');
    await until(() => (relay.connections === 0 ? true : undefined), 3000, 'the relay kept the link');
  });

  it('answers a PIN typed with a | as a wrong PIN, not "Request not understood", and lends nothing', async () => {
    const capture = capturingLogger();
    const { simulator, link } = await rigWithSelfCheck({ logger: capture.logger });
    // SIP2 has no escape: Koha and Evergreen cut such a PIN at the |, and find it wrong.
    const info = (
      await link.request(withErrorDetection(`63001${D}          AORIVERSIDE|AA21000001|AC|AD12|4|`, 1))
    )?.toString();
    expect(info).toMatch(/^64/);
    expect(info).toContain('|AFInvalid PIN|');
    expect(info).toContain('|CQN|');
    expect(info).not.toContain('not understood');
    for (const [sequence, pin] of [
      [2, '12|4'],
      [3, '|234'],
    ] as const) {
      const checkout = (
        await link.request(
          withErrorDetection(
            `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD${pin}|`,
            sequence,
          ),
        )
      )?.toString();
      expect(checkout, pin).toMatch(/^120/);
      expect(checkout, pin).toContain('|AFInvalid PIN|');
    }
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
    expect(capture.text()).not.toContain('12|4');
  });

  it('hands a self-check the | in the ILS’s title as the ILS wrote it (&#124;), in its own charset too, never a /', async () => {
    const { relay, simulator } = await rig();
    simulator.state.items.get('31000001')!.title = 'Pippi Långstrump | Pippi Longstocking';
    const title = (answer: Buffer | undefined, charset: 'utf-8' | 'ibm850') => {
      const decoded = decodeSip2Message(answer!, { charset });
      expect(decoded.ok && decoded.checksum).toBe('valid');
      return (
        decoded.ok && decoded.message.type === 'itemInformationResponse' && decoded.message.titleIdentifier
      );
    };
    const utf8 = await kiosk(relay.port);
    await utf8.request(withErrorDetection(LOGIN, 0));
    const passed = await utf8.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 1));
    expect(passed?.toString()).toContain('|AJPippi Långstrump &#124; Pippi Longstocking|');
    expect(title(passed, 'utf-8')).toBe('Pippi Långstrump | Pippi Longstocking');
    // Written again in IBM850: the relay's own encoding keeps the | too.
    const old = await kiosk(relay.port);
    await old.request(withErrorDetection('9300CNold850|COold850pw|', 0, 'ibm850'));
    const written = await old.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 2, 'ibm850'));
    expect(written!.includes(iconv.encode('|AJPippi Långstrump &#124; Pippi Longstocking|', 'cp850'))).toBe(
      true,
    );
    expect(title(written, 'ibm850')).toBe('Pippi Långstrump | Pippi Longstocking');
  });

  it('resends the last answer for 97 and asks for a resend (96) on a bad checksum', async () => {
    const { link } = await rigWithSelfCheck();
    const answer = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 1));
    expect(answer?.toString()).toMatch(/^18/);
    expect((await link.request(Buffer.from('97AZFEF5\r')))?.toString()).toBe(answer?.toString());
    const bad = Buffer.from(`17${D}AORIVERSIDE|AB31000001|AC|AY2AZ0000\r`);
    expect((await link.request(bad))?.toString()).toBe('96AZFEF6');
  });

  it('asks for a resend (96) of a 99 damaged on its way, its AZ or fields cut short, and never says the ILS is offline', async () => {
    const { relay } = await rig();
    const damaged = ['9900302.00AY1AZFCA', '9900302.00AY1AZ', '9900302.00AY', '9900302', '990'];
    // Before login (some self-checks ask for the status first), then logged in.
    for (const loggedIn of [false, true]) {
      const link = await kiosk(relay.port);
      if (loggedIn) expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
      for (const frame of damaged) {
        const answer = (await link.request(Buffer.from(`${frame}\r`, 'latin1')))?.toString();
        expect(answer, `${frame}, logged in: ${loggedIn}`).toBe('96AZFEF6');
      }
      // Sent again whole: the ILS's own 98, online.
      expect((await link.request(withErrorDetection('9900302.00', 1)))?.toString()).toMatch(/^98Y.*AY1AZ/);
    }
  });

  it('relays a request with AY and no AZ after its fields, a | after it or not, as a 99 with AY after its fixed fields', async () => {
    const { link } = await rigWithSelfCheck();
    for (const frame of [`17${D}AORIVERSIDE|AB31000001|AC|AY2`, `17${D}AORIVERSIDE|AB31000001|AC|AY2|`]) {
      const answer = (await link.request(Buffer.from(`${frame}\r`, 'latin1')))?.toString();
      expect(answer, frame).toMatch(/^18.*\|AY2$/);
    }
    expect((await link.request(Buffer.from('9900302.00AY3\r')))?.toString()).toMatch(/^98Y.*\|AY3$/);
    // With its AZ, as before: the ILS's own 18, AY and AZ.
    const whole = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 4));
    expect(whole?.toString()).toMatch(/^18.*AY4AZ[0-9A-F]{4}$/);
  });

  it('asks the ILS for its status when a 99 carries a field its link cannot (over 255 characters), never saying the ILS is offline', async () => {
    const { link } = await rigWithSelfCheck();
    const answer = await link.request(withErrorDetection(`9900302.00ZZ${'Q'.repeat(300)}|`, 2));
    expect(answer?.toString()).toMatch(/^98Y.*AORIVERSIDE\|.*AY2AZ/);
  });

  it('relays an account through its own ILS link when mapped', async () => {
    const { relay: _unused, simulator, client } = await rig();
    const east = IlsClient.create({
      host: '127.0.0.1',
      port: simulator.port,
      user: 'kiosk-east',
      password: 'eastpw',
      location: 'EAST',
      heartbeatSeconds: 0,
      pool: { size: 1, maxWaiting: 10 },
    });
    await east.connect();
    cleanups.push(() => east.disconnect());
    const config = parseSip2RelayConfig({
      port: 0,
      accounts: [
        { kioskUser: 'main', kioskPassword: 'm' },
        {
          kioskUser: 'east',
          kioskPassword: 'e',
          ilsUser: 'kiosk-east',
          ilsPassword: 'eastpw',
          location: 'EAST',
        },
      ],
    });
    const relay = new Sip2RelayServer({
      config,
      ils: client.pool,
      ilsForAccount: (account) => (account.ilsUser === 'kiosk-east' ? east.pool : undefined),
      logger: silentLogger(),
      clock: new ManualClock(),
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const statusOf = async (user: string, password: string) => {
      const link = await kiosk(relay.port);
      await link.request(withErrorDetection(`9300CN${user}|CO${password}|`, 0));
      return (await link.request(withErrorDetection('9900302.00', 1)))?.toString();
    };
    expect(await statusOf('east', 'e')).toContain('|ANEAST|');
    expect(await statusOf('main', 'm')).toContain('|ANMAIN|');
  });

  it('answers per the offline rules when the ILS is down, and takes journaled answers', async () => {
    const journaled: string[] = [];
    const { relay, simulator } = await rig({
      relay: { offline: { offlineOk: true, checkinOk: true } },
      onOffline: (request) => {
        if (request.type !== 'checkin') return { refused: 'offline_not_allowed' };
        journaled.push(request.itemIdentifier);
        return journaledCheckin(request);
      },
    });
    const link = await kiosk(relay.port);
    await link.request(withErrorDetection(LOGIN, 0));
    await simulator.close();

    const status = (await link.request(withErrorDetection('9900302.00', 1)))!.toString();
    const decoded = decodeSip2Message(status);
    expect(decoded.ok && decoded.checksum).toBe('valid');
    if (!decoded.ok || decoded.message.type !== 'acsStatus') throw new Error(status);
    expect(decoded.message).toMatchObject({
      onlineStatus: false,
      checkinOk: true,
      checkoutOk: false,
      offlineOk: true,
      sequence: 1,
    });

    const checkout = (await link.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`, 2),
    ))!.toString();
    expect(checkout).toMatch(/^120/);
    expect(checkout).toContain('|AFILS offline|');
    expect(decodeSip2Message(checkout).ok).toBe(true);

    const checkin = (await link.request(
      withErrorDetection(`09N${D}${D}APMAIN|AORIVERSIDE|AB31000001|AC|`, 3),
    ))!.toString();
    expect(checkin).toMatch(/^101Y/);
    expect(checkin).toContain('AFReturned (offline)|AY3AZ');
    expect(journaled).toEqual(['31000001']);
  });

  it('logs frames only masked: no patron id, PIN, name or password', async () => {
    const capture = capturingLogger();
    const { link } = await rigWithSelfCheck({ logger: capture.logger });
    const answer = await link.request(
      withErrorDetection(`63001${D}          AORIVERSIDE|AA21000001|AC|AD1234|`, 1),
    );
    expect(answer?.toString()).toContain('Zoë');
    const log = capture.text();
    expect(log).toContain('self-check request');
    expect(log).toContain('self-check answer');
    for (const secret of ['21000001', 'AD1234', 'sc1pw', 'Zoë', 'Åström', 'zoe.astrom']) {
      expect(log).not.toContain(secret);
    }
  });

  it('is bounded: connections past the limit are closed, oversized frames dropped, idle links dropped', async () => {
    const clock = new ManualClock();
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({
        port: 0,
        accounts: [{ kioskUser: 'selfcheck-1', kioskPassword: 'sc1pw' }],
        maxConnections: 1,
        maxFrameSize: 64,
        idleTimeoutSeconds: 30,
      }),
      ils: { exchange: () => Promise.reject(new Error('no ILS in this test')) },
      logger: silentLogger(),
      clock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const first = await kiosk(relay.port);
    expect((await first.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    const second = await kiosk(relay.port);
    expect(await second.next()).toBeUndefined();

    // An oversized frame is dropped; the link stays usable.
    first.socket.write(Buffer.from(`17${'X'.repeat(200)}\r`));
    const answer = await first.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 1));
    expect(answer?.toString()).toMatch(/^18.*AFILS offline\|AY1/);

    await clock.advance(30_000);
    expect(await first.next()).toBeUndefined();
    expect(relay.connections).toBe(0);
  });

  it('counts the idle timeout from the last thing the self-check sent, not from the connection', async () => {
    const clock = new ManualClock();
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({
        port: 0,
        accounts: [{ kioskUser: 'selfcheck-1', kioskPassword: 'sc1pw' }],
        idleTimeoutSeconds: 30,
      }),
      ils: { exchange: () => Promise.reject(new Error('no ILS in this test')) },
      logger: silentLogger(),
      clock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const link = await kiosk(relay.port);
    expect((await link.request(withErrorDetection(LOGIN, 0)))?.toString()).toMatch(/^941/);
    await clock.advance(20_000);
    const first = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 1));
    expect(first?.toString()).toMatch(/^18.*AY1/);
    await clock.advance(20_000);
    // 40 s after the login, 20 s after the last request: still served.
    const second = await link.request(withErrorDetection(`17${D}AORIVERSIDE|AB31000001|AC|`, 2));
    expect(second?.toString()).toMatch(/^18.*AY2/);
    await clock.advance(29_000);
    expect(relay.connections).toBe(1);
    await clock.advance(1000);
    expect(await link.next()).toBeUndefined();
    expect(relay.connections).toBe(0);
  });

  it('rejects a config with duplicate self-check users', () => {
    expect(() =>
      parseSip2RelayConfig({
        port: 0,
        accounts: [
          { kioskUser: 'a', kioskPassword: 'x' },
          { kioskUser: 'a', kioskPassword: 'y' },
        ],
      }),
    ).toThrow(/duplicate kioskUser/);
  });
});
