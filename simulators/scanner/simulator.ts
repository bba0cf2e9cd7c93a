/**
 * A simulated barcode scanner (and magstripe reader): a serial scanner on TCP
 * (a serial-over-IP converter) and, when asked, on a pty; a keyboard-wedge
 * scanner writing input_event records into a FIFO that Carrel reads as it would
 * /dev/input/eventN. Every code scanned goes to every attached link.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CarrelError } from '../../src/core/errors.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { whyUnreadable } from '../../src/core/read-up-to.js';
import type { ControlServer } from '../common/control-server.js';
import { SerialLinks } from '../common/serial-links.js';
import { startControlServer } from './control-server.js';
import { type ScannerSettings, scanText, serialBytes, swipeText, wedgeRecords } from './scanner-model.js';
import { presentCard, type VirtualCard } from './virtual-card.js';

export interface ScannerSimulatorOptions extends Partial<ScannerSettings> {
  host?: string;
  /** Serial scanner over TCP; 0 picks a free port. */
  port?: number;
  /** Control API; 0 picks a free port, null: none. */
  httpPort?: number | null;
  /** A FIFO to write a wedge scanner's input_event records into (made if missing). */
  fifo?: string;
  /** Where pcscd's vpcd reader waits for the virtual card (default 127.0.0.1:35963). */
  vpcd?: { host: string; port: number };
  logger?: Logger;
}

export interface ScannerSimulatorState {
  scans: number;
  swipes: number;
  serialClients: number;
  fifo: string | null;
  /** The virtual contactless card on the PC/SC reader, if one is presented: its UID (hex). */
  card: { uid: string; commands: number } | null;
  settings: ScannerSettings;
}

export interface ScannerSimulator {
  readonly port: number;
  readonly httpUrl: string;
  /** Scans a code: the serial line goes to every serial link, the keystrokes into the FIFO. Resolves once written. */
  scan(
    barcode: string,
    options?: { symbology?: string; via?: 'serial' | 'wedge' | 'all' },
  ): Promise<{ bytes: number }>;
  /** Swipes a magstripe card (track 2 with the card number). */
  swipe(cardNumber: string, options?: { via?: 'serial' | 'wedge' | 'all' }): Promise<{ bytes: number }>;
  /** Puts a virtual contactless card on pcscd's vpcd reader (one at a time); resolves once vpcd has it. */
  presentCard(
    uid: Uint8Array,
    options?: { responses?: Record<string, string>; leaveOn?: string; atr?: Uint8Array },
  ): Promise<void>;
  /** Takes the card off the reader. */
  removeCard(): Promise<void>;
  /** Sends bytes as they are on the serial links (broken scans for tests). */
  sendRaw(bytes: Uint8Array): Promise<{ bytes: number }>;
  state(): ScannerSimulatorState;
  attach(stream: Duplex): void;
  /** Opens a pty or serial device with serialport (loaded only now) and sends scans on it. */
  attachSerialPath(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startScannerSimulator(
  options: ScannerSimulatorOptions = {},
): Promise<ScannerSimulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger()).child({ module: 'scanner-sim' });
  const settings: ScannerSettings = {
    terminator: options.terminator ?? 'cr',
    prefix: options.prefix ?? '',
    suffix: options.suffix ?? '',
    aim: options.aim ?? false,
    keymap: options.keymap ?? 'us',
    keyGapUs: options.keyGapUs ?? 1500,
  };
  const links = new Set<Duplex>();
  /** The serial devices among `links` (attachSerialPath), closed before close() resolves. */
  const serialLinks = new SerialLinks();
  let scans = 0;
  let swipes = 0;
  let fifo: FileHandle | undefined;
  if (options.fifo) {
    try {
      if (!existsSync(options.fifo))
        execFileSync('mkfifo', ['-m', '0660', options.fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
      // Read-write: never blocks, and the FIFO keeps a writer while the simulator runs.
      fifo = await open(options.fifo, 'r+');
    } catch (error) {
      const said = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
      throw new CarrelError('fifo_unusable', `--fifo ${options.fifo}: ${said || whyUnreadable(error)}`);
    }
  }
  /** The wedge's clock: records carry time that only moves forward. */
  let wedgeTimeUs = Date.now() * 1000;

  const attach = (stream: Duplex) => {
    links.add(stream);
    stream.on('data', () => {}); // a scanner ignores what the host sends
    stream.on('error', () => links.delete(stream));
    stream.once('close', () => links.delete(stream));
  };
  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const writeSerial = async (bytes: Uint8Array) => {
    await Promise.all(
      [...links].map(
        (link) => new Promise<void>((resolve) => link.write(Buffer.from(bytes), () => resolve())),
      ),
    );
    return bytes.length;
  };
  const writeWedge = async (text: string) => {
    if (!fifo) return 0;
    wedgeTimeUs = Math.max(wedgeTimeUs + 100_000, Date.now() * 1000);
    const records = wedgeRecords(settings, text, wedgeTimeUs);
    await fifo.write(records);
    return records.length;
  };
  const send = async (text: string, via: 'serial' | 'wedge' | 'all') => {
    let bytes = 0;
    // The wedge's keys are checked first: a character the layout lacks sends nothing anywhere.
    if (via !== 'serial') bytes += await writeWedge(text);
    if (via !== 'wedge') bytes += await writeSerial(serialBytes(settings, text));
    return { bytes };
  };

  let card: VirtualCard | undefined;
  let cardUid = '';
  let control: ControlServer | undefined;
  const simulator: ScannerSimulator = {
    port,
    httpUrl: '',
    async scan(barcode, scanOptions = {}) {
      scans++;
      return send(scanText(settings, barcode, scanOptions.symbology), scanOptions.via ?? 'all');
    },
    async swipe(cardNumber, swipeOptions = {}) {
      swipes++;
      return send(swipeText(cardNumber), swipeOptions.via ?? 'all');
    },
    async presentCard(uid, cardOptions = {}) {
      if (card?.present) throw new RangeError('a card is already on the reader: remove it first');
      card = await presentCard({ uid, ...options.vpcd, ...cardOptions });
      cardUid = Buffer.from(uid).toString('hex').toUpperCase();
    },
    async removeCard() {
      await card?.remove();
      card = undefined;
    },
    async sendRaw(bytes) {
      return { bytes: await writeSerial(bytes) };
    },
    state: () => ({
      scans,
      swipes,
      serialClients: links.size,
      fifo: options.fifo ?? null,
      card: card?.present ? { uid: cardUid, commands: card.commands.length } : null,
      settings: { ...settings },
    }),
    attach,
    attachSerialPath: (path) => serialLinks.attach(path, 9600, attach),
    async close() {
      await card?.remove();
      for (const link of links) link.destroy();
      await serialLinks.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fifo?.close().catch(() => {});
      await control?.close();
    },
  };
  if (options.httpPort !== null) {
    control = await startControlServer(simulator, { host, port: options.httpPort ?? 0 });
    (simulator as { httpUrl: string }).httpUrl = control.url;
  }
  logger.debug({ port, fifo: options.fifo ?? null }, 'scanner simulator listening');
  return simulator;
}
