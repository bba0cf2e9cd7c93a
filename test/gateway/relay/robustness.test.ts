import { once } from 'node:events';
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import {
  parseSip2RelayConfig,
  type Sip2RelayConfigInput,
  Sip2RelayServer,
} from '../../../src/gateway/relay/index.js';
import { decodeSip2Message, sip2Checksum } from '../../../src/protocols/sip2/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import {
  TRANSCRIPT_DATE as D,
  KioskLink,
  SELF_CHECK_LOGIN as LOGIN,
  type RelayRig,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

/**
 * Bad input against the relay over real TCP: after each attack the attacking
 * link got protocol answers or was closed (never a hang), and a different,
 * well-behaved self-check is still served. Secrets in the attacks never reach the log.
 */
const SECRET = { patron: 'PX77312050', pin: 'PN88412', password: 'PW9s3cr3t' };
const SECRETS = [SECRET.patron, SECRET.pin, SECRET.password, 'sc1pw', '21000001', 'AD1234'];
const BLANK = ' '.repeat(18);
const CHECKOUT = `11YN${D}${BLANK}AORIVERSIDE|AA21000001|AB31000005|AC|AD1234|`;

/** Valid requests carrying the secrets, before mutation. */
const BASE_FRAMES = [
  `9300CNselfcheck-1|CO${SECRET.password}|CPMAIN|`,
  `63001${D}          AORIVERSIDE|AA${SECRET.patron}|AC|AD${SECRET.pin}|`,
  `11YN${D}${BLANK}AORIVERSIDE|AA${SECRET.patron}|AB31000005|AC|AD${SECRET.pin}|`,
  `09N${D}${D}APMAIN|AORIVERSIDE|AB31000001|AC|`,
  `23001${D}AORIVERSIDE|AA${SECRET.patron}|AC|AD${SECRET.pin}|`,
  `35${D}AORIVERSIDE|AA${SECRET.patron}|AC|AD${SECRET.pin}|`,
  `17${D}AORIVERSIDE|AB31000001|AC|`,
  '9900302.00',
];

/** Rejects with `what` when `work` takes longer than `ms` (a hang, not a slow answer). */
function within<T>(work: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A different self-check: login, status, a checkout, all answered. */
async function assertServes(relay: Sip2RelayServer): Promise<void> {
  const link = await KioskLink.open(relay.port);
  try {
    expect((await within(link.request(withErrorDetection(LOGIN, 0)), 'login'))?.toString()).toMatch(/^941/);
    expect((await within(link.request(withErrorDetection('9900302.00', 1)), '99'))?.toString()).toMatch(
      /^98/,
    );
    const checkout = await within(link.request(withErrorDetection(CHECKOUT, 2)), 'checkout');
    expect(checkout?.toString()).toMatch(/^12[01]/);
    const decoded = decodeSip2Message(checkout!);
    expect(decoded.ok && decoded.checksum).toBe('valid');
  } finally {
    link.close();
  }
}

/**
 * After an attack: a CR (ends any partial or oversized frame) and a 99. Every
 * frame the relay sent is SIP2 it can decode, and the 99 is answered — or the link is closed.
 */
async function probe(link: KioskLink): Promise<'answered' | 'closed'> {
  if (!link.closed)
    link.socket.write(Buffer.concat([Buffer.from('\r'), withErrorDetection('9900302.00', 7)]));
  for (;;) {
    const frame = await within(link.next(), 'probe answer');
    if (frame === undefined) return 'closed';
    expect(decodeSip2Message(frame, { checksumMismatch: 'ignore' }).ok).toBe(true);
    if (frame.toString('latin1').startsWith('98')) return 'answered';
  }
}

/** Opens a link, logs in when asked, writes the attack (in the given chunks), probes. */
async function attack(
  rig: RelayRig,
  chunks: Uint8Array[],
  loggedIn: boolean,
): Promise<'answered' | 'closed'> {
  const link = await KioskLink.open(rig.relay.port);
  try {
    if (loggedIn)
      expect((await within(link.request(withErrorDetection(LOGIN, 0)), 'login'))?.toString()).toMatch(/^941/);
    for (const chunk of chunks) link.socket.write(chunk);
    return await probe(link);
  } finally {
    link.close();
  }
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** A valid frame (with AY/AZ), then one mutation. */
const nearValidFrame = fc
  .record({
    base: fc.constantFrom(...BASE_FRAMES),
    sequence: fc.integer({ min: 0, max: 9 }),
    mutation: fc.oneof(
      fc.record({
        kind: fc.constant('field' as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('checksum' as const), value: fc.stringMatching(/^[0-9A-Za-z]{0,5}$/) }),
      fc.record({
        kind: fc.constant('sequence' as const),
        value: fc.constantFrom('', 'X', '10', '-1', '99999'),
      }),
      fc.record({
        kind: fc.constant('terminator' as const),
        value: fc.constantFrom('', '\n', '\r\n', '\n\r', '\r\r'),
      }),
      fc.record({ kind: fc.constant('nul' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('utf8' as const),
        at: fc.nat(),
        bytes: fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    ),
  })
  .map(({ base, sequence, mutation }) => {
    let frame = withErrorDetection(base, sequence).subarray(0, -1); // without its CR
    let terminator = '\r';
    const at = 'at' in mutation ? mutation.at % (frame.length + 1) : 0;
    switch (mutation.kind) {
      case 'field':
        frame = Buffer.from(frame);
        if (frame.length > 0) frame[at % frame.length] = mutation.byte;
        break;
      case 'checksum':
        frame = Buffer.concat([frame.subarray(0, -4), latin1(mutation.value)]);
        break;
      case 'sequence':
        frame = latin1(`${base}AY${mutation.value}AZ`);
        frame = Buffer.concat([frame, latin1(sip2Checksum(frame))]);
        break;
      case 'terminator':
        terminator = mutation.value;
        break;
      case 'nul':
        frame = Buffer.concat([frame.subarray(0, at), Buffer.from([0]), frame.subarray(at)]);
        break;
      case 'utf8':
        frame = Buffer.concat([frame.subarray(0, at), Buffer.from(mutation.bytes), frame.subarray(at)]);
        break;
      case 'truncate':
        frame = frame.subarray(0, at);
        break;
    }
    return Buffer.concat([frame, latin1(terminator)]);
  });

describe('SIP2 relay robustness', () => {
  const { rig: startRig, cleanups } = useRelayRigs();

  async function rig(relay: Partial<Sip2RelayConfigInput> = {}) {
    const capture = capturingLogger();
    const started = await startRig({ logger: capture.logger, relay });
    return { ...started, log: capture.text };
  }

  function expectNoSecrets(log: string): void {
    for (const secret of SECRETS) expect(log, `log holds ${secret}`).not.toContain(secret);
  }

  it('survives random bytes and near-valid frames, anonymous or logged in', { timeout: 40_000 }, async () => {
    const relay = await rig();
    const attackBytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      nearValidFrame,
      fc.array(nearValidFrame, { minLength: 2, maxLength: 5 }).map((frames) => Buffer.concat(frames)),
    );
    await fc.assert(
      fc.asyncProperty(attackBytes, fc.boolean(), async (bytes, loggedIn) => {
        await attack(relay, [bytes], loggedIn);
        expect(relay.relay.connections).toBeLessThanOrEqual(1);
      }),
      { seed: 20260101, numRuns: 150 },
    );
    await assertServes(relay.relay);
    expectNoSecrets(relay.log());
  });

  it('answers or closes on every message code 00–99 with an empty or a huge body', {
    timeout: 30_000,
  }, async () => {
    const relay = await rig({ maxFrameSize: 2048 });
    for (let code = 0; code < 100; code++) {
      const id = String(code).padStart(2, '0');
      for (const body of ['', `AA${SECRET.patron}|AD${SECRET.pin}|CO${SECRET.password}|`.padEnd(2000, 'Z')]) {
        const outcome = await attack(relay, [withErrorDetection(`${id}${body}`, 3)], code % 2 === 0);
        expect(['answered', 'closed']).toContain(outcome);
      }
    }
    await assertServes(relay.relay);
    expectNoSecrets(relay.log());
  });

  it('drops a frame over the limit, answers many frames in one write and a frame dribbled byte by byte', async () => {
    const relay = await rig({ maxFrameSize: 1024 });
    const link = await KioskLink.open(relay.relay.port);
    cleanups.push(() => link.close());
    // Over the limit, in one write and across several: dropped, the link stays usable.
    link.socket.write(latin1(`63001${D}AA${SECRET.patron}|${'X'.repeat(5000)}\r`));
    for (let i = 0; i < 4; i++) link.socket.write(latin1('Y'.repeat(600)));
    expect(await probe(link)).toBe('answered');
    // Login and twenty status requests in one write: twenty-one answers, in order.
    const many = [withErrorDetection(LOGIN, 0)];
    for (let i = 1; i <= 20; i++) many.push(withErrorDetection('9900302.00', i % 10));
    link.socket.write(Buffer.concat(many));
    expect((await within(link.next(), 'login'))?.toString()).toMatch(/^941AY0/);
    for (let i = 1; i <= 20; i++) {
      expect((await within(link.next(), `status ${i}`))?.toString()).toMatch(
        new RegExp(`^98.*AY${i % 10}AZ`),
      );
    }
    // One checkout a byte at a time.
    for (const byte of withErrorDetection(CHECKOUT, 5)) {
      link.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await within(link.next(), 'dribbled checkout'))?.toString()).toMatch(/^12.*AY5AZ/);
    await assertServes(relay.relay);
    expectNoSecrets(relay.log());
  });

  it('refuses a request the ILS link cannot carry, and answers a 500-request burst in order', async () => {
    const relay = await rig();
    const link = await KioskLink.open(relay.relay.port);
    cleanups.push(() => link.close());
    await within(link.request(withErrorDetection(LOGIN, 0)), 'login');
    // A 300-character field passes the relay's frame limit but not the ILS link's 255.
    const tooLong = withErrorDetection(`${CHECKOUT}ZZ${'Q'.repeat(300)}|`, 1);
    const refused = (await within(link.request(tooLong), 'refusal'))?.toString();
    // The field named (a vendor's: its id alone), never its value.
    expect(refused).toMatch(/^120.*\|AFRequest refused: field ZZ is longer than 255 characters\|AY1AZ/);
    // Far more than MAX_PIPELINED_REQUESTS in one write: reading pauses, nothing is lost.
    const burst = Array.from({ length: 500 }, (_, i) => withErrorDetection('9900302.00', i % 10));
    link.socket.write(Buffer.concat(burst));
    for (let i = 0; i < 500; i++) {
      expect((await within(link.next(), `status ${i}`))?.toString()).toMatch(
        new RegExp(`^98.*AY${i % 10}AZ`),
      );
    }
    await assertServes(relay.relay);
    expectNoSecrets(relay.log());
  });

  it('closes a TLS handshake on the plain port at once', async () => {
    const relay = await rig();
    // A TLS 1.2 ClientHello's first bytes: record type 22, version 3.1.
    const hello = Buffer.from('16030100a5010000a10303', 'hex');
    expect(await attack(relay, [hello, Buffer.alloc(160, 0x41)], false)).toBe('closed');
    expect(relay.log()).toContain('TLS');
    await assertServes(relay.relay);
  });

  it('refuses requests before login, three wrong passwords, and connections past the limit once all are logged in', async () => {
    const relay = await rig({ maxConnections: 4 });
    const early = await attack(
      relay,
      [withErrorDetection(`63001${D}          AORIVERSIDE|AA${SECRET.patron}|AC|AD${SECRET.pin}|`, 0)],
      false,
    );
    expect(early).toBe('closed');
    const link = await KioskLink.open(relay.relay.port);
    cleanups.push(() => link.close());
    for (let i = 1; i <= 3; i++) {
      const answer = await within(
        link.request(withErrorDetection(`9300CNselfcheck-1|CO${SECRET.password}|`, i)),
        'login',
      );
      expect(answer?.toString()).toMatch(/^940/);
    }
    expect(await within(link.next(), 'close after three failed logins')).toBeUndefined();

    // Past the limit with nobody logged in: each new link takes the place of the oldest.
    const open: KioskLink[] = [];
    cleanups.push(() => {
      for (const l of open) l.close();
    });
    for (let i = 0; i < 12; i++) open.push(await KioskLink.open(relay.relay.port));
    await within(
      (async () => {
        while (open.filter((l) => l.closed).length < 8)
          await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      'the eight oldest closed',
    );
    expect(open.slice(0, 8).every((l) => l.closed)).toBe(true);
    // The four newest log in; with every link logged in, a new one is refused.
    for (const [i, l] of open.slice(8).entries()) {
      expect((await within(l.request(withErrorDetection(LOGIN, i)), 'login'))?.toString()).toMatch(/^941/);
    }
    const late = await KioskLink.open(relay.relay.port);
    cleanups.push(() => late.close());
    expect(await probe(late)).toBe('closed');
    const outcomes = await Promise.all(open.slice(8).map((l) => probe(l)));
    expect(outcomes).toEqual(['answered', 'answered', 'answered', 'answered']);
    for (const l of open) l.close();
    await within(
      (async () => {
        while (relay.relay.connections > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      'connections released',
    );
    await assertServes(relay.relay);
    expectNoSecrets(relay.log());
  });

  it('survives a self-check that leaves while the ILS is answering', async () => {
    const counted: string[] = [];
    const capture = capturingLogger();
    const started = await startRig({
      logger: capture.logger,
      onTransaction: (t) => void counted.push(t.kind),
    });
    started.simulator.setFaults({ latencyMs: 300 });
    const link = await KioskLink.open(started.relay.port);
    await within(link.request(withErrorDetection(LOGIN, 0)), 'login');
    link.socket.write(withErrorDetection(CHECKOUT, 1));
    link.socket.write(withErrorDetection(`09N${D}${D}APMAIN|AORIVERSIDE|AB31000005|AC|`, 2));
    await new Promise((resolve) => setImmediate(resolve));
    link.close();
    await within(
      (async () => {
        while (counted.length < 1) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      'the ILS answer after the self-check left',
    );
    started.simulator.setFaults({});
    // Gone once what it sent is answered (or its link fails writing the answer).
    await within(
      (async () => {
        while (started.relay.connections > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      'the connection closed',
    );
    await assertServes(started.relay);
    expectNoSecrets(capture.text());
  });

  it('drops a silent client, and one that stops mid-frame, after the idle timeout', async () => {
    const { client } = await startRig();
    const clock = new ManualClock();
    const relay = new Sip2RelayServer({
      config: parseSip2RelayConfig({
        port: 0,
        accounts: [{ kioskUser: 'selfcheck-1', kioskPassword: 'sc1pw' }],
        idleTimeoutSeconds: 5,
      }),
      ils: client.pool,
      logger: capturingLogger().logger,
      clock,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const silent = await KioskLink.open(relay.port);
    const partial = await KioskLink.open(relay.port);
    cleanups.push(
      () => silent.close(),
      () => partial.close(),
    );
    partial.socket.write(latin1(`9300CNselfcheck-1|CO${SECRET.password}`));
    await within(
      (async () => {
        while (relay.connections < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      'both connected',
    );
    // A raw socket that half-closes without a word.
    const mute = connect({ host: '127.0.0.1', port: relay.port });
    await once(mute, 'connect');
    mute.end();
    await once(mute, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(5000);
    expect(await within(silent.next(), 'silent dropped')).toBeUndefined();
    expect(await within(partial.next(), 'partial dropped')).toBeUndefined();
    expect(relay.connections).toBe(0);
    await assertServes(relay);
  });
});
