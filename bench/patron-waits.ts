/**
 * What the patron waits for at a self-check: a tag placed on the pad until the kiosk's
 * session WebSocket (`/api/v1/sessions/:id/events`) shows the item `checked_out` with its
 * security `cleared` — and, in a return session, `checked_in` with security `set`.
 *
 * The desk is the default simulated desk, in this process, with its ILS simulator on a
 * bench fixture and one more pad: a FEIG pad simulator on a real pty at 38400 baud 8E1,
 * its replies paced like the serial line. Every frame on that link is logged from the
 * simulator's side, so each item's floor counts only the frames its work needs:
 *
 * - the inventory that first saw the tag, its system-info and memory read, the AFI write
 *   and the AFI read that verifies it (bytes × 11 ÷ baud);
 * - the ILS checkout (checkin) round trip, timed alone in the same run by a SIP2 client
 *   straight to the same ILS simulator, on the same items;
 * - the expected wait for the next inventory round, since the pad polls: the tag is placed
 *   at a random moment of the round cycle, so it waits on average half a cycle, the
 *   reader's configured pause (`inventoryIntervalMs`) plus an empty round's line time.
 *
 * Inventory rounds that saw nothing new, and any command queued behind one, are not in the
 * floor: they are what the gateway's scheduling costs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import WebSocket from 'ws';
import { createPtyPair, type PtyPair } from '../simulators/common/pty-pair.js';
import { seededRandom } from '../simulators/common/seeded-random.js';
import { ilsSimulators } from '../simulators/ils/family.js';
import type { IlsFixtureInput } from '../simulators/ils/index.js';
import { serveFeig } from '../simulators/rfid-pad/feig-session.js';
import { lineTimeMs, PadField } from '../simulators/rfid-pad/index.js';
import { configSchema } from '../src/app/config.js';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { createDesk } from '../src/app/desk.js';
import { silentLogger } from '../src/core/logger.js';
import {
  decodeIsoRequest,
  encodeFeigFrame,
  FeigFrameParser,
  type FeigIsoRequest,
} from '../src/protocols/feig/index.js';
import { uidToMsbFirst } from '../src/protocols/iso15693/uid.js';
import { encodeIso28560Part3 } from '../src/protocols/rfid/index.js';
import { type AnySip2MessageInput, Sip2Codec, Sip2Framer } from '../src/protocols/sip2/index.js';
import type { BenchResult } from './types.js';

const BAUD = 38400;
const ITEMS = 24;
/** The reader's pause between inventory rounds: the rfid-reader default. */
const INVENTORY_INTERVAL_MS = 200;
const SECURED_AFI = 0x07;
const UNSECURED_AFI = 0xc2;
const PATRON = 'P00001';
const PIN = '1234';
const TARGET = 1.3;
/** Rounds of bare SIP2 checkout + checkin per item. */
const ILS_ROUNDS = 5;

const itemId = (i: number) => `I${String(i).padStart(7, '0')}`;

function fixture(): IlsFixtureInput {
  return {
    library: { name: 'Bench Library' },
    institutions: [{ id: 'RIVERSIDE', name: 'Bench Library', branches: [{ code: 'MAIN', name: 'Main' }] }],
    accounts: [
      { loginUserId: 'kiosk1', password: 'kiosk1pw', location: 'MAIN', institution: 'RIVERSIDE' },
      { loginUserId: 'bench', password: 'benchpw', location: 'MAIN', institution: 'RIVERSIDE' },
    ],
    circulation: { loanLimit: 1_000_000 },
    patrons: [{ barcode: PATRON, pin: PIN, name: 'Bench Patron' }],
    items: Array.from({ length: ITEMS }, (_, i) => ({
      barcode: itemId(i),
      title: `Bench Title ${i}`,
      owningBranch: 'MAIN',
    })),
  } as IlsFixtureInput;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One frame on the pad's link, as the simulator saw it. */
interface LinkFrame {
  at: number;
  /** `request`: gateway → pad; `reply`: pad → gateway. */
  direction: 'request' | 'reply';
  bytes: number;
  data: Uint8Array;
  /** A request's ISO host command, decoded. */
  request?: FeigIsoRequest;
}

/** The FEIG pad simulator on a pty, every frame both ways logged. */
async function startLoggedPad(field: PadField): Promise<{
  pty: PtyPair;
  frames: LinkFrame[];
  close(): Promise<void>;
}> {
  const pty = await createPtyPair();
  const port = new SerialPort({ path: pty.devicePath, baudRate: BAUD, parity: 'even', autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  port.on('error', () => {});
  const frames: LinkFrame[] = [];
  const log = (direction: LinkFrame['direction']) => {
    const parser = new FeigFrameParser({ maxFrame: 8192 });
    return (chunk: Uint8Array) => {
      const at = performance.now();
      for (const item of parser.push(chunk)) {
        if (!item.ok) continue;
        const { frame } = item;
        const logged: LinkFrame = { at, direction, bytes: encodeFeigFrame(frame).length, data: frame.data };
        if (direction === 'request') {
          try {
            logged.request = decodeIsoRequest(frame.command, frame.data);
          } catch {
            // Not an ISO host command (the reader's software version at connect).
          }
        }
        frames.push(logged);
      }
    };
  };
  port.on('data', log('request'));
  const logReply = log('reply');
  const write = port.write.bind(port) as (data: Uint8Array) => boolean;
  (port as { write: (data: Uint8Array) => boolean }).write = (data: Uint8Array) => {
    logReply(data);
    return write(data);
  };
  const session = serveFeig(port, field, { baudRate: BAUD });
  return {
    pty,
    frames,
    async close() {
      session.close();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pty.close();
    },
  };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

interface ItemLink {
  /** Bytes of the inventory (request + reply) that first saw the tag. */
  inventoryBytes: number;
  /** Its system info and memory read (requests and replies). */
  readBytes: number;
  /** The AFI write and the read that verifies it. */
  securityBytes: number;
  /** From placing the tag to that inventory request reaching the pad. */
  waitedMs: number;
}

/** The frames an item's work needed, from the link log between `placedAt` and `to`. */
function itemLink(frames: readonly LinkFrame[], uid: string, placedAt: number, to: number): ItemLink {
  const msb = uidToMsbFirst(uid);
  const lsb = Uint8Array.from(msb).reverse();
  const link: ItemLink = { inventoryBytes: 0, readBytes: 0, securityBytes: 0, waitedMs: Number.NaN };
  let writing = false;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    const request = frame.request;
    if (!request || frame.at < placedAt || frame.at > to) continue;
    const reply = frames[i + 1]?.direction === 'reply' ? frames[i + 1]! : undefined;
    if (!reply) continue;
    const bytes = frame.bytes + reply.bytes;
    if (request.kind === 'inventory') {
      if (link.inventoryBytes === 0 && (contains(reply.data, msb) || contains(reply.data, lsb))) {
        link.inventoryBytes = bytes;
        link.waitedMs = frame.at - placedAt;
      }
    } else if ('uid' in request && request.uid === uid) {
      if (request.kind === 'writeAfi') writing = true;
      if (writing) link.securityBytes += bytes;
      else link.readBytes += bytes;
    }
  }
  return link;
}

/** The inventory rounds on the link while the pad was empty: their bytes and the time from one to the next. */
function emptyRounds(frames: readonly LinkFrame[], from: number): { bytes: number; cycleMs: number } {
  const starts: number[] = [];
  let bytes = 0;
  for (let i = 0; i + 1 < frames.length; i++) {
    const frame = frames[i]!;
    if (frame.at < from || frame.request?.kind !== 'inventory') continue;
    starts.push(frame.at);
    bytes = frame.bytes + frames[i + 1]!.bytes;
  }
  if (starts.length < 2) throw new Error('too few inventory rounds on the pad link');
  const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
  return { bytes, cycleMs: percentile(gaps, 50) };
}

/** A SIP2 client straight to the ILS simulator: one connection, one request at a time. */
class Sip2Straight {
  private readonly codec = new Sip2Codec({ charset: 'utf-8' });
  private readonly framer = new Sip2Framer();
  private waiting: ((frame: Uint8Array) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) if (event.type === 'frame') this.waiting?.(event.frame);
    });
  }

  static async open(port: number): Promise<Sip2Straight> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    const client = new Sip2Straight(socket);
    const login = await client.exchange({
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: 'bench',
      loginPassword: 'benchpw',
      locationCode: 'MAIN',
    });
    if (!(login.ok && login.message.type === 'loginResponse' && login.message.ok))
      throw new Error('SIP2 login refused');
    return client;
  }

  exchange(message: AnySip2MessageInput) {
    return new Promise<ReturnType<Sip2Codec['decode']>>((resolve) => {
      this.waiting = (frame) => resolve(this.codec.decode(frame));
      this.socket.write(this.codec.encode(message));
    });
  }

  /** The round trip of one checkout, in ms; throws when refused. */
  async checkout(item: string): Promise<number> {
    const began = performance.now();
    const answer = await this.exchange({
      type: 'checkout',
      scRenewalPolicy: false,
      noBlock: false,
      transactionDate: new Date(),
      nbDueDate: null,
      institutionId: 'RIVERSIDE',
      patronIdentifier: PATRON,
      itemIdentifier: item,
      terminalPassword: '',
      patronPassword: PIN,
    } as AnySip2MessageInput);
    const elapsed = performance.now() - began;
    if (!(answer.ok && answer.message.type === 'checkoutResponse' && answer.message.ok))
      throw new Error(`the ILS refused the checkout of ${item}`);
    return elapsed;
  }

  async checkin(item: string): Promise<number> {
    const began = performance.now();
    const answer = await this.exchange({
      type: 'checkin',
      noBlock: false,
      transactionDate: new Date(),
      returnDate: new Date(),
      currentLocation: 'MAIN',
      institutionId: 'RIVERSIDE',
      itemIdentifier: item,
      terminalPassword: '',
      cancel: false,
    } as AnySip2MessageInput);
    const elapsed = performance.now() - began;
    if (!(answer.ok && answer.message.type === 'checkinResponse' && answer.message.ok))
      throw new Error(`the ILS refused the checkin of ${item}`);
    return elapsed;
  }

  close(): void {
    this.socket.destroy();
  }
}

interface ItemUpdate {
  event: string;
  data: { item?: string; state?: string; security?: string };
}

/** A session's event socket; `settled(item, state, security)` resolves when the item shows it. */
async function sessionSocket(api: string, id: string) {
  const socket = new WebSocket(`${api.replace('http', 'ws')}/sessions/${id}/events`);
  const waiters = new Map<string, { state: string; security: string; resolve: (at: number) => void }>();
  socket.on('message', (raw) => {
    const at = performance.now();
    const update = JSON.parse(String(raw)) as ItemUpdate;
    if (update.event !== 'item' || !update.data.item) return;
    const waiter = waiters.get(update.data.item);
    if (waiter && update.data.state === waiter.state && update.data.security === waiter.security) {
      waiters.delete(update.data.item);
      waiter.resolve(at);
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    settled(item: string, state: string, security: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${item} never reached ${state}`)), 10_000);
        waiters.set(item, {
          state,
          security,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      });
    },
    close: () => socket.close(),
  };
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

interface PathFigures {
  measured: number[];
  floors: number[];
  inventoryMs: number[];
  readMs: number[];
  securityMs: number[];
  waitedMs: number[];
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-waits-'));
  const fixtureFile = join(dir, 'fixture.json');
  writeFileSync(fixtureFile, JSON.stringify(fixture()));
  const field = new PadField({ seed: 7 });
  const pad = await startLoggedPad(field);
  const base = defaultDeskConfig();
  const config = configSchema.parse({
    ...base,
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'off' },
    storage: { ...base.storage, path: join(dir, 'carrel.db') },
    simulators: base.simulators.map((s) => (s.kind === 'ils' ? { ...s, fixture: fixtureFile } : s)),
    devices: [
      ...base.devices,
      {
        id: 'bench-pad',
        kind: 'rfid-reader',
        protocol: 'feig',
        transport: { type: 'serial', path: pad.pty.hostPath, baudRate: BAUD, parity: 'even' },
        inventoryIntervalMs: INVENTORY_INTERVAL_MS,
      },
    ],
  });
  const desk = await createDesk({ config, logger: silentLogger(), version: 'bench' });
  await desk.start();
  let sip2: Sip2Straight | undefined;
  try {
    const api = desk.urls().api!;
    for (const id of ['ils', 'bench-pad']) {
      const deadline = performance.now() + 15_000;
      while (((await call('GET', `${api}/devices/${id}`)).body as { status?: string }).status !== 'online') {
        if (performance.now() > deadline) throw new Error(`${id} did not come online`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    // The ILS alone: checkout and checkin of the same items, straight over SIP2.
    sip2 = await Sip2Straight.open(desk.simulators.handle(ilsSimulators, 'ils-sim')!.port);
    const ilsCheckout: number[] = [];
    const ilsCheckin: number[] = [];
    for (let round = 0; round < ILS_ROUNDS + 1; round++)
      for (let i = 0; i < ITEMS; i++) {
        const out = await sip2.checkout(itemId(i));
        const back = await sip2.checkin(itemId(i));
        if (round === 0) continue; // warm-up
        ilsCheckout.push(out);
        ilsCheckin.push(back);
      }
    const ilsCheckoutMs = percentile(ilsCheckout, 50);
    const ilsCheckinMs = percentile(ilsCheckin, 50);

    const random = seededRandom(20);
    // A few empty rounds: an empty round's line time, and the cycle the gateway keeps.
    const idleFrom = performance.now();
    await new Promise((r) => setTimeout(r, 6 * INVENTORY_INTERVAL_MS));
    const idle = emptyRounds(pad.frames, idleFrom);
    const emptyRoundMs = lineTimeMs(idle.bytes, BAUD);
    const expectedWaitMs = (INVENTORY_INTERVAL_MS + emptyRoundMs) / 2;

    const runSession = async (mode: 'checkout' | 'return'): Promise<PathFigures> => {
      const opened = await call(
        'POST',
        `${api}/sessions`,
        mode === 'checkout'
          ? { mode, pad: 'bench-pad', patron: PATRON, pin: PIN }
          : { mode, pad: 'bench-pad' },
      );
      if (opened.status !== 201) throw new Error(`opening a ${mode} session answered ${opened.status}`);
      const id = (opened.body as { id: string }).id;
      const socket = await sessionSocket(api, id);
      const figures: PathFigures = {
        measured: [],
        floors: [],
        inventoryMs: [],
        readMs: [],
        securityMs: [],
        waitedMs: [],
      };
      const ilsMs = mode === 'checkout' ? ilsCheckoutMs : ilsCheckinMs;
      try {
        for (let i = 0; i < ITEMS; i++) {
          // A random moment of the inventory cycle the gateway keeps, as a patron's hand would be.
          await new Promise((r) => setTimeout(r, random() * idle.cycleMs));
          const item = itemId(i);
          const done =
            mode === 'checkout'
              ? socket.settled(item, 'checked_out', 'cleared')
              : socket.settled(item, 'checked_in', 'set');
          const memory = encodeIso28560Part3({
            primaryItemId: item,
            typeOfUsage: 'circulating',
            ownerLibrary: 'SE-RPL',
          });
          const placedAt = performance.now();
          const tag = field.place({
            memoryHex: Buffer.from(memory).toString('hex'),
            dsfid: 0x3e,
            afi: mode === 'checkout' ? SECURED_AFI : UNSECURED_AFI,
          });
          const at = await done;
          const link = itemLink(pad.frames, tag.uid, placedAt, at);
          field.remove(tag.uid);
          const inventoryMs = lineTimeMs(link.inventoryBytes, BAUD);
          const readMs = lineTimeMs(link.readBytes, BAUD);
          const securityMs = lineTimeMs(link.securityBytes, BAUD);
          figures.measured.push(at - placedAt);
          figures.inventoryMs.push(inventoryMs);
          figures.readMs.push(readMs);
          figures.securityMs.push(securityMs);
          figures.waitedMs.push(link.waitedMs);
          figures.floors.push(expectedWaitMs + inventoryMs + readMs + securityMs + ilsMs);
        }
      } finally {
        socket.close();
        await call('DELETE', `${api}/sessions/${id}`);
      }
      return figures;
    };

    const checkout = await runSession('checkout');
    // Every tag off the pad before the returns start.
    await new Promise((r) => setTimeout(r, 4 * idle.cycleMs));
    const checkin = await runSession('return');

    const rows = (label: string, figures: PathFigures, ilsLabel: string, ilsMs: number): BenchResult[] => {
      const floor = percentile(figures.floors, 50);
      const p50 = percentile(figures.measured, 50);
      const ratio = p50 / floor;
      return [
        {
          name: `${label}: floor part, expected wait for the next inventory round ((${INVENTORY_INTERVAL_MS} ms pause + empty round) ÷ 2)`,
          value: expectedWaitMs,
          unit: 'ms',
        },
        { name: `${label}: … measured wait for that round, mean`, value: mean(figures.waitedMs), unit: 'ms' },
        {
          name: `${label}: floor part, the inventory that saw the tag (bytes × 11 ÷ baud)`,
          value: percentile(figures.inventoryMs, 50),
          unit: 'ms',
        },
        {
          name: `${label}: floor part, the tag's system info + memory read`,
          value: percentile(figures.readMs, 50),
          unit: 'ms',
        },
        {
          name: `${label}: floor part, the AFI write + its verifying read`,
          value: percentile(figures.securityMs, 50),
          unit: 'ms',
        },
        { name: `${label}: floor part, ${ilsLabel} round trip alone (SIP2, p50)`, value: ilsMs, unit: 'ms' },
        { name: `${label}: floor`, value: floor, unit: 'ms' },
        { name: `${label}: placed → WebSocket, p50 (n=${figures.measured.length})`, value: p50, unit: 'ms' },
        { name: `${label}: placed → WebSocket, p95`, value: percentile(figures.measured, 95), unit: 'ms' },
        {
          name: `${label}: … from the round that saw the tag, p50 ÷ that floor (no wait in either)`,
          value: percentile(
            figures.measured.map(
              (m, i) => (m - figures.waitedMs[i]!) / (figures.floors[i]! - expectedWaitMs),
            ),
            50,
          ),
          unit: '×',
        },
        {
          name: `${label}: p50 ÷ floor`,
          value: ratio,
          unit: '×',
          target: `≤ ${TARGET}×`,
          met: ratio <= TARGET,
        },
      ];
    };
    return [
      {
        name: 'inventory cycle the gateway keeps while the pad is empty, p50',
        value: idle.cycleMs,
        unit: 'ms',
      },
      {
        name: `… of which the configured pause (${INVENTORY_INTERVAL_MS} ms) + an empty round's line time`,
        value: INVENTORY_INTERVAL_MS + emptyRoundMs,
        unit: 'ms',
      },
      ...rows('checkout → checked_out, security cleared', checkout, 'ILS checkout', ilsCheckoutMs),
      ...rows('return → checked_in, security set', checkin, 'ILS checkin', ilsCheckinMs),
    ];
  } finally {
    sip2?.close();
    await desk.stop().catch(() => {});
    await pad.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
