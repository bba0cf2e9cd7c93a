import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type IlsFixtureInput,
  type IlsSimulator,
  type IlsSimulatorOptions,
  sampleFixturePath,
  startIlsSimulator,
} from '../../../simulators/ils/index.js';
import { type Clock, ManualClock } from '../../../src/core/clock.js';
import {
  type IlsClient,
  type IlsConfigInput,
  IlsError,
  type Sip2FrameListener,
} from '../../../src/devices/ils/index.js';
import { sampleKioskClient } from '../../helpers/sample-ils.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: Partial<IlsSimulatorOptions> = {}): Promise<IlsSimulator> {
  const sim = await startIlsSimulator({ fixture: sampleFixturePath(), ...options });
  cleanups.push(() => sim.close());
  return sim;
}

/** Every frame the client sent and received, and a way to wait for some. */
class Wire {
  readonly frames: Array<{ direction: 'sent' | 'received'; bytes: Buffer }> = [];
  private readonly waiters = new Set<() => void>();

  readonly listener: Sip2FrameListener = (direction, frame) => {
    this.frames.push({ direction, bytes: Buffer.from(frame) });
    for (const check of this.waiters) check();
  };

  /** Frames in one direction whose text starts with `prefix` (a message code, say). */
  count(direction: 'sent' | 'received', prefix: string): number {
    return this.frames.filter(
      (f) => f.direction === direction && f.bytes.toString('latin1').startsWith(prefix),
    ).length;
  }

  /** Resolves once `n` such frames have crossed. */
  until(direction: 'sent' | 'received', prefix: string, n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.count(direction, prefix) < n) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}

interface Kiosk {
  client: IlsClient;
  wire: Wire;
}

/** A kiosk's client (kiosk1, UTF-8, CR, error detection) on `port`, heartbeat off unless asked. */
function kiosk(port: number, config: Partial<IlsConfigInput> = {}, clock?: Clock): Kiosk {
  const wire = new Wire();
  const client = sampleKioskClient(port, config, { onFrame: wire.listener, ...(clock && { clock }) });
  cleanups.push(() => client.disconnect());
  return { client, wire };
}

/** Lets the work queued behind an event (a heartbeat's slot being released) finish: one turn of the event loop. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves once the simulator, on a manual clock, has scheduled a timer of this name. */
async function timerScheduled(clock: ManualClock, name: string): Promise<void> {
  while (!clock.pending().includes(name)) await new Promise((resolve) => setImmediate(resolve));
}

const loansOf = (sim: IlsSimulator, patron: string) =>
  sim.state.loansOf(patron).map((loan) => ({ item: loan.item, renewals: loan.renewals }));

/**
 * Holds what the ILS sends until a whole message line (two digits, then a
 * terminator) ends it, and writes it on in one piece: a plain-text line and the
 * answer after it reach the client in one write. With `lateLineFeeds`, the LF
 * of a CR LF is held back and written at the front of the next answer, so it
 * arrives in a later read than its CR.
 */
function recut(lateLineFeeds: boolean): (chunk: Buffer, write: (bytes: Buffer) => void) => void {
  let held = Buffer.alloc(0);
  let lateLf = false;
  return (chunk, write) => {
    held = Buffer.concat([held, chunk]);
    if (!/(^|[\r\n])\d\d[^\r\n]*\r\n?$/.test(held.toString('latin1'))) return;
    let out = held;
    held = Buffer.alloc(0);
    if (lateLineFeeds) {
      const prefix = lateLf ? Buffer.from('\n') : Buffer.alloc(0);
      lateLf = out.at(-1) === 0x0a;
      out = Buffer.concat([prefix, lateLf ? out.subarray(0, -1) : out]);
    }
    write(out);
  };
}

/** A TCP relay to the simulator on 127.0.0.1; returns its port. */
async function relay(
  target: number,
  options: {
    toClient?: () => (chunk: Buffer, write: (bytes: Buffer) => void) => void;
    toIls?: (chunk: Buffer) => Buffer;
  },
): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const ils = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [client, ils]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        ils.destroy();
      });
    }
    const toClient = options.toClient?.();
    ils.on('data', (chunk: Buffer) => {
      if (toClient) toClient(chunk, (bytes) => client.write(bytes));
      else client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => ils.write(options.toIls ? options.toIls(chunk) : chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('relay has no port');
  return address.port;
}

/** The sorter's account: ASCII, no error detection (no sequence numbers to tell answers apart). */
const sorter = {
  user: 'sorter',
  password: 'sorterpw',
  location: 'MAIN-SORTER',
  charset: 'ascii',
  errorDetection: false,
} as const;

describe('latency', () => {
  it('above the request timeout: ils_timeout, the link turns offline, and a reconnect recovers', async () => {
    // On a manual clock the simulator's latency never ends: the answers simply never come.
    // The client's clock is manual too, so its timeouts fire when the test says, however busy the machine.
    const clientClock = new ManualClock();
    const sim = await simulator({ clock: new ManualClock() });
    const { client, wire } = kiosk(sim.port, { requestTimeoutMs: 3_000 }, clientClock);
    await client.connect();
    expect(sim.connectionsAccepted).toBe(2);
    const disconnected = once(client.pool, 'disconnected');

    sim.setFaults({ latencyMs: 60_000 });
    const failed = client.itemInformation('31000005').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    await wire.until('sent', '17', 1);
    await clientClock.advance(3_000);
    // At once: the timed-out connection is opened again and asked (93), the other one asked too (99).
    await wire.until('sent', '93', 3);
    await wire.until('sent', '99', 2);
    expect(client.pool.condition().status).toBe('degraded');
    await clientClock.advance(3_000);
    // Neither answered: offline. The lookup was not sent twice into a hung ILS, and its
    // caller hears that its answer was lost.
    const error = await failed;
    expect(error).toBeInstanceOf(IlsError);
    expect(error).toMatchObject({ code: 'ils_timeout', requestSent: true, answerLost: true });
    await disconnected;
    expect(wire.count('sent', '17')).toBe(1);
    await expect(client.itemInformation('31000005')).rejects.toMatchObject({ code: 'ils_offline' });

    sim.setFaults({});
    await client.connect();
    const answer = await client.itemInformation('31000005');
    expect(answer.message).toMatchObject({ itemIdentifier: '31000005', titleIdentifier: 'Dune' });
    // Every connection that went unanswered was closed (a late answer must not pass for the
    // next request's); the answer came on new ones, logged in by themselves.
    expect(sim.connectionsAccepted).toBe(5);
    expect(wire.count('sent', '93')).toBe(5);
  });

  it('below the request timeout just works, on the same connections', async () => {
    const sim = await simulator({ faults: { latencyMs: 25 } });
    const { client } = kiosk(sim.port, { requestTimeoutMs: 10_000 });
    await client.connect();
    for (const item of ['31000004', '31000005', '31000006']) {
      expect((await client.itemInformation(item)).message.itemIdentifier).toBe(item);
    }
    const checkout = await client.checkout('21000009', '31000006', { pin: '9999' });
    expect(checkout.message).toMatchObject({ ok: true, itemIdentifier: '31000006' });
    expect(sim.connectionsAccepted).toBe(2);
  });

  it('a checkout whose answer times out is found done by an item lookup, not sent again', async () => {
    const simClock = new ManualClock();
    const clientClock = new ManualClock();
    const sim = await simulator({ clock: simClock });
    const { client, wire } = kiosk(
      sim.port,
      { requestTimeoutMs: 5_000, pool: { size: 1, maxWaiting: 10 } },
      clientClock,
    );
    await client.connect();

    sim.setFaults({ latencyMs: 60_000 });
    const checkout = client.checkout('21000009', '31000006', { pin: '9999', scRenewalPolicy: true });
    // The ILS has charged the item; its answer waits out the latency.
    await timerScheduled(simClock, 'ils-response-latency');
    expect(loansOf(sim, '21000009')).toEqual([{ item: '31000006', renewals: 0 }]);
    sim.setFaults({});
    await clientClock.advance(5_000);

    const result = await checkout;
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: true,
      resentAfterLostAnswer: false,
      message: {
        type: 'checkoutResponse',
        ok: true,
        patronIdentifier: '21000009',
        itemIdentifier: '31000006',
      },
    });
    expect(result.verification?.itemInformation.message.circulationStatus.name).toBe('charged');
    expect(wire.count('sent', '11')).toBe(1);
    expect(wire.count('sent', '17')).toBe(1);
    // Charged once to that patron: a second checkout would have renewed it (renewals 1).
    expect(loansOf(sim, '21000009')).toEqual([{ item: '31000006', renewals: 0 }]);
    expect(sim.state.item('31000006')?.loan?.patron).toBe('21000009');
  });

  it('a checkin whose answer times out is found checked in, not sent again', async () => {
    const simClock = new ManualClock();
    const clientClock = new ManualClock();
    const sim = await simulator({ clock: simClock });
    const { client, wire } = kiosk(
      sim.port,
      { requestTimeoutMs: 5_000, pool: { size: 1, maxWaiting: 10 } },
      clientClock,
    );
    await client.connect();

    sim.setFaults({ latencyMs: 60_000 });
    const checkin = client.checkin('31000001');
    await timerScheduled(simClock, 'ils-response-latency');
    sim.setFaults({});
    await clientClock.advance(5_000);

    const result = await checkin;
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: true,
      resentAfterLostAnswer: false,
      message: { type: 'checkinResponse', ok: true, itemIdentifier: '31000001' },
    });
    expect(wire.count('sent', '09')).toBe(1);
    expect(sim.state.item('31000001')?.loan).toBeUndefined();
    expect(loansOf(sim, '21000001')).toEqual([{ item: '31000002', renewals: 1 }]);
  });
});

describe('dropped connections (dropAfterMessages)', () => {
  it('lookups reconnect and log in again transparently', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect(); // 93 and 99
    // Every connection answers three messages and is dropped when the fourth arrives.
    sim.setFaults({ dropAfterMessages: 3 });
    const items = ['31000001', '31000002', '31000003', '31000004', '31000005', '31000006', '31000007'];
    for (const item of items) {
      const answer = await client.itemInformation(item);
      expect(answer.message.itemIdentifier).toBe(item);
      expect(answer.message.titleIdentifier).toBe(sim.state.item(item)?.title);
    }
    // 93 99 17 | 93 17 17 | 93 17 17 | 93 17: three drops, each a new connection and a new login.
    expect(sim.connectionsAccepted).toBe(4);
    expect(wire.count('sent', '93')).toBe(4);
    expect(wire.count('received', '94')).toBe(4);
  });

  it('a checkout lost with the link is looked up, then sent once more: charged once', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect(); // 93 and 99
    sim.setFaults({ dropAfterMessages: 2 });
    // The ILS comes back after dropping the link once.
    client.pool.on('event', (type) => type === 'connection_lost' && sim.setFaults({}));

    const result = await client.checkout('21000009', '31000006', { pin: '9999', scRenewalPolicy: true });
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: false,
      resentAfterLostAnswer: true,
      message: { ok: true, renewalOk: false, itemIdentifier: '31000006' },
    });
    expect(result.verification?.itemInformation.message.circulationStatus.name).toBe('available');
    expect(wire.count('sent', '11')).toBe(2);
    expect(loansOf(sim, '21000009')).toEqual([{ item: '31000006', renewals: 0 }]);
    expect(sim.connectionsAccepted).toBe(2);
  });

  it('a checkin lost with the link is looked up, then sent once more', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    sim.setFaults({ dropAfterMessages: 2 });
    client.pool.on('event', (type) => type === 'connection_lost' && sim.setFaults({}));
    const feesBefore = sim.state.patron('21000002')?.fees.length;

    const result = await client.checkin('31000003');
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: false,
      resentAfterLostAnswer: true,
      message: { ok: true, itemIdentifier: '31000003' },
    });
    expect(result.verification?.itemInformation.message.circulationStatus.name).toBe('charged');
    expect(wire.count('sent', '09')).toBe(2);
    expect(sim.state.item('31000003')?.loan).toBeUndefined();
    // The overdue loan's fine is charged once.
    expect(sim.state.patron('21000002')?.fees.length).toBe((feesBefore ?? 0) + 1);
  });
});

describe('idle timeout', () => {
  it('a heartbeat shorter than the idle timeout keeps the same connections alive', async () => {
    const clock = new ManualClock();
    const sim = await simulator({ clock, faults: { idleTimeoutMs: 60_000 } });
    const { client, wire } = kiosk(sim.port, { heartbeatSeconds: 20 }, clock);
    await client.connect();
    const events: string[] = [];
    client.pool.on('event', (type: string) => events.push(type));

    for (let beat = 1; beat <= 6; beat++) {
      await clock.advance(20_000);
      await wire.until('received', '98', 1 + 2 * beat); // connect's 98, then one per connection per beat
      await nextTurn();
    }
    // Two minutes without a request, twice the ILS's idle timeout.
    expect(events).toEqual([]);
    expect(sim.connections).toBe(2);
    expect(sim.connectionsAccepted).toBe(2);
    expect((await client.itemInformation('31000005')).message.titleIdentifier).toBe('Dune');
    expect(sim.connectionsAccepted).toBe(2);
  });

  it('an idle timeout shorter than the heartbeat: dropped connections log in again by themselves', async () => {
    const clock = new ManualClock();
    const sim = await simulator({ clock, faults: { idleTimeoutMs: 60_000 } });
    const { client, wire } = kiosk(sim.port, { heartbeatSeconds: 120 }, clock);
    await client.connect();
    const lost = wire.until('received', '94', 4);
    await clock.advance(60_000);
    await lost;
    expect(sim.connectionsAccepted).toBe(4);
    expect((await client.itemInformation('31000005')).message.titleIdentifier).toBe('Dune');
    expect(sim.connectionsAccepted).toBe(4);
  });
});

describe('omitted checksums', () => {
  it('error detection on: answers without AY/AZ are taken, checksum absent, with a warning', async () => {
    const sim = await simulator({ faults: { omitChecksums: true } });
    const { client, wire } = kiosk(sim.port);
    await client.connect(); // the login answer has no checksum either
    const patron = await client.patronInformation('21000002', { pin: '2222' });
    expect(patron.message).toMatchObject({ validPatron: true, personalName: 'Émile Côté' });
    expect(patron.checksum).toBe('absent');
    expect(patron.warnings.map((w) => w.code)).toContain('checksum_missing');
    const checkout = await client.checkout('21000009', '31000006', { pin: '9999' });
    expect(checkout.message.ok).toBe(true);
    expect(checkout.checksum).toBe('absent');
    // We keep sending checksums (the ILS checks them) and never asked for an answer again.
    expect(
      wire.frames
        .filter((f) => f.direction === 'sent')
        .every((f) => /AZ[0-9A-F]{4}$/.test(f.bytes.toString('latin1'))),
    ).toBe(true);
    expect(wire.count('sent', '97')).toBe(0);
  });

  it('error detection off: nothing is missing', async () => {
    const sim = await simulator({ faults: { omitChecksums: true } });
    const { client } = kiosk(sim.port, sorter);
    await client.connect();
    const item = await client.itemInformation('31000005');
    expect(item.message.titleIdentifier).toBe('Dune');
    expect(item.checksum).toBe('absent');
    expect(item.warnings).toEqual([]);
  });
});

describe('plain-text lines (garbageLine)', () => {
  it('a line in the same read as the answer is kept as a warning', async () => {
    const sim = await simulator({ faults: { garbageLine: 'Error: database busy' } });
    const port = await relay(sim.port, { toClient: () => recut(false) });
    const { client, wire } = kiosk(port);
    await client.connect();
    for (const item of ['31000004', '31000005', '31000006']) {
      const answer = await client.itemInformation(item);
      expect(answer.message.itemIdentifier).toBe(item);
      expect(answer.warnings.map((w) => w.code)).toContain('trailing_text');
    }
    expect(wire.count('received', 'Error: database busy')).toBe(6); // two 94s, the 98 and three 18s
    expect(wire.count('sent', '97')).toBe(0);
  });

  it.each([
    ['500 Internal Server Error', true],
    ['500 Internal Server Error', false],
    ['10 rows updated', true],
    ['10 rows updated', false],
  ])(
    'a line that starts with digits (%s, error detection %s) is not taken for the answer',
    async (line, errorDetection) => {
      const sim = await simulator({ faults: { garbageLine: line } });
      const { client, wire } = kiosk(sim.port, errorDetection ? {} : sorter);
      await client.connect();
      for (const item of ['31000004', '31000005', '31000006', '31000007']) {
        const answer = await client.itemInformation(item);
        expect(answer.message.itemIdentifier).toBe(item);
        expect(answer.warnings.map((w) => w.code)).toContain('trailing_text');
      }
      // Asking for the answer again (97) would have the ILS send it twice.
      expect(wire.count('sent', '97')).toBe(0);
    },
  );

  it('a line shaped like the answer but cut short is asked for again; the repeat is not taken for the next answer', async () => {
    const sim = await simulator({ faults: { garbageLine: '18 is not a message' } });
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    for (const item of ['31000004', '31000005', '31000006', '31000007']) {
      expect((await client.itemInformation(item)).message.itemIdentifier).toBe(item);
    }
    expect(wire.count('sent', '97')).toBeGreaterThan(0);
  });
});

describe('CR LF answers (forceCrLf)', () => {
  it('reads every answer, the LF arriving at the front of the next read', async () => {
    const sim = await simulator({ faults: { forceCrLf: true } });
    const port = await relay(sim.port, { toClient: () => recut(true) });
    const { client } = kiosk(port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    for (let round = 0; round < 5; round++) {
      const item = `3100000${round + 4}`;
      expect((await client.itemInformation(item)).message.itemIdentifier).toBe(item);
      const patron = await client.patronInformation('21000002', { pin: '2222' });
      expect(patron.message.personalName).toBe('Émile Côté');
      const status = await client.patronStatus('21000003', { pin: '3333' });
      expect(status.message.personalName).toBe('Björn Müller');
      for (const answer of [patron, status]) {
        expect(answer.checksum).toBe('valid');
        expect(answer.warnings).toEqual([]);
      }
    }
    expect(sim.connectionsAccepted).toBe(1);
  });
});

describe('IBM850', () => {
  const library: IlsFixtureInput = {
    library: { name: 'Norrby bibliotek', timeZone: 'Europe/Stockholm', currency: 'SEK' },
    institutions: [
      { id: 'NORRBY', name: 'Norrby bibliotek', branches: [{ code: 'MAIN', name: 'Huvudbiblioteket' }] },
    ],
    accounts: [
      {
        loginUserId: 'legacy850',
        password: 'legacypw',
        location: 'MAIN',
        institution: 'NORRBY',
        charset: 'ibm850',
      },
    ],
    patrons: [{ barcode: '21000001', pin: '1234', name: 'Zoë Åström', homeBranch: 'MAIN', expires: '+365d' }],
    items: [
      { barcode: '31000001', title: 'Pippi Långstrump', author: 'Astrid Lindgren', owningBranch: 'MAIN' },
      { barcode: '31000002', title: 'Röda rummet', author: 'August Strindberg', owningBranch: 'MAIN' },
    ],
  };

  it('a patron named with accents comes back intact, checksums verified both ways', async () => {
    const sim = await simulator({ fixture: library });
    const { client, wire } = kiosk(sim.port, {
      user: 'legacy850',
      password: 'legacypw',
      institution: 'NORRBY',
      charset: 'ibm850',
    });
    await client.connect();
    const patron = await client.patronInformation('21000001', { pin: '1234' });
    expect(patron.message).toMatchObject({ validPatron: true, personalName: 'Zoë Åström' });
    expect(patron.checksum).toBe('valid');
    // On the wire in IBM850: ë 0x89, Å 0x8F, ö 0x94.
    const answer = wire.frames.findLast((f) => f.direction === 'received')!.bytes;
    expect(answer.includes(Buffer.from([0x5a, 0x6f, 0x89, 0x20, 0x8f, 0x73, 0x74, 0x72, 0x94, 0x6d]))).toBe(
      true,
    );

    // A request carrying å (0x86): the ILS verifies our checksum over the same bytes, or it would send 96.
    const hold = await client.hold('21000001', { title: 'Pippi Långstrump', pin: '1234' });
    expect(hold.message).toMatchObject({ ok: true, titleIdentifier: 'Pippi Långstrump' });
    expect(hold.checksum).toBe('valid');
    expect(sim.state.item('31000001')?.holdQueue.map((h) => h.patron)).toEqual(['21000001']);
    const checkout = await client.checkout('21000001', '31000002', { pin: '1234' });
    expect(checkout.message).toMatchObject({ ok: true, titleIdentifier: 'Röda rummet' });
    expect(wire.count('received', '96')).toBe(0);
  });
});

describe('96: the ILS asks for the request again', () => {
  it('after a request corrupted on the way, the request is sent again and answered', async () => {
    const sim = await simulator();
    let corrupted = false;
    const port = await relay(sim.port, {
      toIls: (chunk) => {
        const at = chunk.indexOf('AB31000005|');
        if (corrupted || at < 0) return chunk;
        corrupted = true;
        const copy = Buffer.from(chunk);
        copy[at + 9] = 0x36; // ...05 -> ...06 on the wire: the checksum no longer matches
        return copy;
      },
    });
    const { client, wire } = kiosk(port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    const answer = await client.itemInformation('31000005');
    expect(corrupted).toBe(true);
    expect(answer.message).toMatchObject({ itemIdentifier: '31000005', titleIdentifier: 'Dune' });
    expect(answer.checksum).toBe('valid');
    expect(wire.count('received', '96')).toBe(1);
    expect(wire.count('sent', '17')).toBe(2);
  });

  it('a request whose checksum stays wrong fails typed after the resend limit; the link stays usable', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 }, maxResends: 2 });
    await client.connect();
    const error = await client.raw('1720260302    100000AORIVERSIDE|AB31000005|AY3AZ0000').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(IlsError);
    expect(error).toMatchObject({ code: 'ils_resend_limit', requestSent: true });
    expect(wire.count('sent', '17')).toBe(3);
    expect(wire.count('received', '96')).toBe(3);
    expect((await client.itemInformation('31000005')).message.titleIdentifier).toBe('Dune');
    expect(sim.connectionsAccepted).toBe(1);
  });
});

describe('97: the answer cannot be read', () => {
  it('an answer garbled every time it is asked for fails typed after the limit, the renewal done at the ILS', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 }, maxResends: 2 });
    await client.connect();
    sim.setFaults({ garbleAnswers: { type: 'renew', times: 1 } });
    const error = await client.renew('21000001', '31000001', { pin: '1234' }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(IlsError);
    expect(error).toMatchObject({ code: 'ils_bad_response', requestSent: true });
    // Sent once, its answer asked for twice more: three copies, none readable.
    expect(wire.count('sent', '29')).toBe(1);
    expect(wire.count('sent', '97')).toBe(2);
    expect(wire.count('received', '30')).toBe(3);
    expect(sim.state.item('31000001')?.loan?.renewals).toBe(1);
    // Only that answer: the next is read.
    expect((await client.renew('21000001', '31000001', { pin: '1234' })).message.ok).toBe(true);
  });

  it('a checkout whose answer stays unreadable is a lost answer: found done by an item lookup, not sent again', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    sim.setFaults({ garbleAnswers: { type: 'checkout', times: 1 } });
    const result = await client.checkout('21000009', '31000006', { pin: '9999', scRenewalPolicy: true });
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: true,
      resentAfterLostAnswer: false,
      message: { type: 'checkoutResponse', ok: true, itemIdentifier: '31000006' },
    });
    expect(wire.count('sent', '11')).toBe(1);
    // Charged once to that patron: a second checkout would have renewed it (renewals 1).
    expect(loansOf(sim, '21000009')).toEqual([{ item: '31000006', renewals: 0 }]);
  });

  it('a checkin whose answer stays unreadable is found checked in, not sent again', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port, { pool: { size: 1, maxWaiting: 10 } });
    await client.connect();
    sim.setFaults({ garbleAnswers: { type: 'checkin', times: 1 } });
    const result = await client.checkin('31000001');
    expect(result).toMatchObject({
      verifiedAfterLostAnswer: true,
      message: { type: 'checkinResponse', ok: true, itemIdentifier: '31000001' },
    });
    expect(wire.count('sent', '09')).toBe(1);
    expect(sim.state.item('31000001')?.loan).toBeUndefined();
  });

  it('a lookup whose answer stays unreadable is asked once more, as one whose answer was lost', async () => {
    const sim = await simulator();
    const { client, wire } = kiosk(sim.port);
    await client.connect();
    sim.setFaults({ garbleAnswers: { type: 'itemInformation', times: 1 } });
    const answer = await client.itemInformation('31000005');
    expect(answer.message).toMatchObject({ itemIdentifier: '31000005', titleIdentifier: 'Dune' });
    expect(wire.count('sent', '17')).toBe(2);
  });
});

describe('all at once: small latency, CR LF and a plain-text line before every answer', () => {
  let dir: string | undefined;
  beforeAll(() => {
    if (!hasOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), 'carrel-ils-faults-tls-'));
    makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['tcp', ...(hasOpenssl ? ['tls'] : [])])(
    'over %s, a pool of 3 answers 30 concurrent item lookups, each with its own item',
    async (transport) => {
      const tls = transport === 'tls' && dir !== undefined;
      const sim = await simulator({
        faults: { latencyMs: 5, forceCrLf: true, garbageLine: 'NOTICE: nightly batch running' },
        ...(tls && {
          tls: {
            key: readFileSync(join(dir!, 'localhost.key')),
            cert: readFileSync(join(dir!, 'localhost.pem')),
          },
        }),
      });
      const { client, wire } = kiosk(sim.port, {
        pool: { size: 3, maxWaiting: 50 },
        ...(tls && { tls: { caFile: join(dir!, 'localhost.pem'), serverName: 'localhost' } }),
      });
      await client.connect();
      const items = Array.from({ length: 30 }, (_, i) => `310000${String(i + 1).padStart(2, '0')}`);
      const answers = await Promise.all(items.map((item) => client.itemInformation(item)));
      answers.forEach((answer, i) => {
        const item = items[i]!;
        expect(answer.message.itemIdentifier).toBe(item);
        expect(answer.message.titleIdentifier).toBe(sim.state.item(item)?.title);
        expect(answer.checksum).toBe('valid');
      });
      expect(wire.count('sent', '17')).toBe(30);
      expect(wire.count('sent', '97')).toBe(0);
      expect(sim.connectionsAccepted).toBe(3);
    },
  );
});
