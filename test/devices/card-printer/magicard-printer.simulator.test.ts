import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CardPrinterSimulator,
  startCardPrinterSimulator,
} from '../../../simulators/card-printer/index.js';
import type { MagicardModel } from '../../../simulators/card-printer/magicard-model.js';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { systemClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { decodePng } from '../../../src/core/png.js';
import { MagicardPrinter } from '../../../src/devices/card-printer/magicard-printer.js';
import type { CardJob } from '../../../src/devices/card-printer/types.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { encodeStatusReply } from '../../../src/protocols/magicard/index.js';
import { until } from '../../helpers/until.js';

/**
 * The Magicard driver over TCP against the simulated Magicard (which parses the real job stream
 * with the codec), and against a peer that answers its status queries with garbage or not at all.
 */
let sim: CardPrinterSimulator | undefined;
let printer: MagicardPrinter | undefined;
let server: Server | undefined;
let pair: PtyPair | undefined;

afterEach(async () => {
  await printer?.disconnect();
  await sim?.close();
  await pair?.close();
  if (server) await new Promise((resolve) => server!.close(resolve));
  printer = sim = server = pair = undefined;
});

function driver(port: number, replyTimeoutMs = 2000) {
  return new MagicardPrinter({
    id: 'cards-2',
    transport: new TcpTransport({ host: '127.0.0.1', port }),
    clock: systemClock,
    logger: silentLogger(),
    statusIntervalMs: 50,
    replyTimeoutMs,
    ribbonLowPanels: 20,
    printTimeoutMs: 1000,
  });
}

async function rig(options: Parameters<typeof startCardPrinterSimulator>[0] = {}) {
  sim = await startCardPrinterSimulator({ make: 'magicard', httpPort: 0, ...options });
  printer = driver(sim.port);
  await printer.connect();
  return { sim, printer };
}

function job(): CardJob {
  const front = new Uint8Array(1016 * 648 * 4).fill(255);
  for (let p = 0; p < front.length; p += 4) if ((p / 4) % 7 === 0) front.set([200, 30, 60, 255], p);
  for (let p = 0; p < 4 * 1016 * 40; p += 4) front.set([0, 0, 0, 255], p); // a black band on top
  const back = new Uint8Array(1016 * 648 * 4).fill(255);
  for (let y = 0; y < 648; y++) back.fill(0, y * 1016 * 4, (y * 1016 + 8) * 4);
  return { ribbon: 'ymcko', front, back, tracks: { 2: '21234000123455' } };
}

async function peer(answer: (socket: import('node:net').Socket) => void): Promise<number> {
  server = createServer((socket) => socket.on('data', () => answer(socket)));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('Magicard printer driver against the simulated printer (TCP)', () => {
  it('identifies the printer from MSR and VRS and reads its ribbon and counter on connect', async () => {
    const { printer } = await rig({ ribbonPanels: 300 });
    expect(printer.condition()).toMatchObject({
      status: 'online',
      detail: {
        model: 'Magicard',
        serial: 'MC0001234',
        firmware: 'F2.1.0 (Carrel simulator)',
        ribbon: { panelsLeft: 300, low: false },
        cardsPrinted: 0,
      },
    });
  });

  it('prints a card front and back: the printed front is what the driver previews, the stripe written', async () => {
    const { sim, printer } = await rig();
    const card = job();
    const result = await printer.printCard(card);
    expect(result).toMatchObject({ readBack: {}, magstripe: 'written' });
    const [printed] = sim.cards();
    expect(printed).toMatchObject({ outcome: 'printed', tracks: { 2: '21234000123455' } });
    expect(printed!.sides).toEqual({ front: ['B', 'G', 'R', 'K'], back: ['K'] });
    const png = decodePng(sim.cardPng(printed!.number, 'front')!);
    expect(Buffer.from(png.rgba).equals(printer.printedImage(card.front, 'ymcko'))).toBe(true);
    const backPng = decodePng(sim.cardPng(printed!.number, 'back')!);
    expect(Buffer.from(backPng.rgba).equals(printer.printedImage(card.back!, 'k'))).toBe(true);
    expect(sim.model.ribbonPanels).toBe(1000 - 2);
    await until(() => printer.status().cardsPrinted === 1 || undefined);
  });

  it('gives up on a card that does not come out, drops its job so it never prints later, and says error', async () => {
    const { sim, printer } = await rig();
    sim.model.feeder = 0;
    await expect(printer.printCard(job())).rejects.toMatchObject({
      code: 'card_not_printed',
      cardTaken: false,
    });
    expect(printer.condition()).toMatchObject({ status: 'degraded', reason: 'error' });
    expect((sim.model as MagicardModel).held).toEqual([]); // dropped by RST
    sim.model.feeder = 10;
    await printer.printCard({ ...job(), back: undefined, tracks: {} });
    expect(sim.cards()).toHaveLength(1); // the card asked for, not the one given up on as well
    await until(() => printer.condition().status === 'online' || undefined);
  });

  it('refuses tracks a Magicard job cannot carry before sending anything, without naming them', async () => {
    const { sim, printer } = await rig();
    const refused = printer.printCard({ ...job(), tracks: { 2: '2100A0001' } });
    await expect(refused).rejects.toMatchObject({ code: 'card_magstripe_data', cardTaken: false });
    await expect(refused).rejects.not.toThrow(/2100A0001/);
    expect(sim.cards()).toEqual([]);
  });

  it('makes the card when the printer rejected a card whose stripe it could not write (REJON)', async () => {
    const { sim, printer } = await rig();
    sim.model.faults.magstripeWriteErrors = 1;
    await expect(printer.printCard(job())).resolves.toMatchObject({ magstripe: 'written' });
    expect(sim.cards().map((card) => card.outcome)).toEqual(['rejected', 'printed']);
    expect(sim.cards()[1]).toMatchObject({ tracks: { 2: '21234000123455' } });
  });

  it('reports the ribbon low, then out (DFR), and a cleaning prompt (CLP)', async () => {
    const { sim, printer } = await rig({ ribbonPanels: 21, cleaningInterval: 1 });
    const events: string[] = [];
    printer.on('event', (type: string) => events.push(type));
    await printer.printCard({ ...job(), back: undefined });
    await until(() => printer.status().cleaningDue || undefined);
    expect(printer.status().ribbon).toMatchObject({ panelsLeft: 20, low: true });
    sim.model.ribbonPanels = 0;
    await until(() => printer.condition().reason === 'ribbon_out' || undefined);
    await expect(printer.printCard(job())).rejects.toMatchObject({ code: 'card_ribbon_out' });
    expect(sim.cards()).toHaveLength(1); // the job was not sent to a printer with no ribbon
    expect((sim.model as MagicardModel).dropped).toBe(0);
    expect(events).toEqual(expect.arrayContaining(['ribbon_low', 'cleaning_due', 'ribbon_out']));
  });

  it('refuses a two-sided card, sending nothing, when the ribbon has one panel left', async () => {
    const { sim, printer } = await rig({ ribbonPanels: 1 });
    const model = sim.model as MagicardModel;
    await expect(printer.printCard(job())).rejects.toMatchObject({
      code: 'card_ribbon_out',
      message: expect.stringContaining('1 panel left and this card needs 2'),
    });
    // No card taken, no job left in the printer to come out later.
    expect(sim.cards()).toEqual([]);
    expect(model.dropped).toBe(0);
    expect(model.held).toEqual([]);
    expect(model.ribbonPanels).toBe(1);
    expect(printer.status().ribbon).toMatchObject({ panelsLeft: 1, low: true });
    // A one-sided card still fits.
    await expect(printer.printCard({ ...job(), back: undefined })).resolves.toMatchObject({
      magstripe: 'written',
    });
    expect(sim.cards().map((card) => card.outcome)).toEqual(['printed']);
  });
});

describe('Magicard printer driver on a serial line', () => {
  it('makes a black card through a pseudo-terminal', async () => {
    pair = await createPtyPair();
    sim = await startCardPrinterSimulator({ make: 'magicard', ribbon: 'k' });
    await sim.attachSerialPath(pair.devicePath);
    printer = new MagicardPrinter({
      id: 'cards-2',
      transport: new SerialTransport({ path: pair.hostPath, baudRate: 115200 }),
      clock: systemClock,
      logger: silentLogger(),
      statusIntervalMs: 100,
      replyTimeoutMs: 5000,
      ribbonLowPanels: 10,
      printTimeoutMs: 5000,
      bytesPerSecond: 11_520,
    });
    await printer.connect();
    const front = new Uint8Array(1016 * 648 * 4).fill(255);
    for (let y = 0; y < 648; y++) front.fill(0, y * 1016 * 4, (y * 1016 + 100) * 4);
    const result = await printer.printCard({ ribbon: 'k', front, tracks: { 2: '21000001' } });
    expect(result).toMatchObject({ magstripe: 'written' });
    expect(sim.cards()).toMatchObject([
      { outcome: 'printed', sides: { front: ['K'], back: [] }, tracks: { 2: '21000001' } },
    ]);
  });
});

describe('Magicard printer driver on a bad wire', () => {
  it('fails a status query at once with a typed error when the reply is garbage', async () => {
    const port = await peer((socket) => socket.write(Buffer.from([0xfe, 0x80, 0x0d])));
    printer = driver(port, 60_000);
    const started = performance.now();
    await expect(printer.connect()).rejects.toMatchObject({ code: 'magicard_garbage' });
    expect(performance.now() - started).toBeLessThan(5000);
    printer = undefined;
  });

  it('fails on a reply to another key, and on one that is not text', async () => {
    const other = await peer((socket) => socket.write(Buffer.from('\x01STA,TCQ12,\x03', 'latin1')));
    printer = driver(other);
    await expect(printer.connect()).rejects.toMatchObject({ code: 'magicard_bad_reply' });
    await new Promise((resolve) => server!.close(resolve));
    const binary = await peer((socket) => socket.write(Buffer.from('\x01STA,MSR\x00\x07,\x03', 'latin1')));
    printer = driver(binary);
    await expect(printer.connect()).rejects.toMatchObject({ code: 'magicard_bad_reply' });
    printer = undefined;
  });

  it('meets random replies with typed errors or values, never anything else', async () => {
    let answer: Uint8Array = new Uint8Array();
    const port = await peer((socket) => socket.write(answer));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom('MSR', 'VRS', 'DFR').map((key) => encodeStatusReply(key, '7')),
          fc
            .uint8Array({ maxLength: 16 })
            .map((tail) => Buffer.concat([Buffer.from('\x01STA,'), tail, Buffer.of(3)])),
        ),
        async (bytes) => {
          answer = bytes;
          const candidate = driver(port, 150);
          try {
            await candidate.connect();
            await candidate.disconnect();
          } catch (error) {
            expect(error).toBeInstanceOf(CarrelError);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('times out on a truncated reply and reports the link lost, without crashing', async () => {
    const port = await peer((socket) => socket.write(Buffer.from('\x01STA,MS', 'latin1')));
    printer = driver(port, 300);
    await expect(printer.connect()).rejects.toMatchObject({ code: 'timeout' });
    printer = undefined;
  });
});

/** The printer's cable: a TCP proxy to the simulator whose `unplug` cuts every connection through it. */
async function cable(port: number) {
  const sockets = new Set<Socket>();
  const proxy = createServer((desk) => {
    const far = createConnection({ host: '127.0.0.1', port });
    for (const socket of [desk, far]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        desk.destroy();
        far.destroy();
      });
    }
    desk.pipe(far);
    far.pipe(desk);
  });
  server = proxy;
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    unplug: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

describe('Magicard driver, the cable pulled mid-card (TCP)', () => {
  it('drops the job the printer still holds once connected again, so no card comes out later unasked', async () => {
    sim = await startCardPrinterSimulator({ make: 'magicard', httpPort: 0, feeder: 0 });
    const model = sim.model as MagicardModel;
    const link = await cable(sim.port);
    printer = driver(link.port);
    await printer.connect();
    // The feeder is empty: the printer holds the job while the driver waits for its counter to move.
    const failed = printer.printCard(job()).catch((error: unknown) => error);
    await until(() => model.held.length > 0 || undefined);
    link.unplug();
    // Not connected again within printTimeoutMs, the driver cannot tell whether the card was made.
    expect(await failed).toMatchObject({ code: 'card_outcome_unknown', cardTaken: false });
    await printer.disconnect();
    // Plugged in again (or Carrel started again): a new link, and staff fill the feeder.
    printer = driver(link.port);
    await printer.connect();
    model.feeder = 10;
    model.run();
    expect(model.held).toEqual([]);
    expect(sim.cards()).toEqual([]);
  });
});
