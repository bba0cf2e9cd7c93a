/**
 * A simulated Epson-style receipt printer (STYLE 7): ESC/POS over TCP (port
 * 9100 style) or any duplex stream (a pty, an in-memory pair), a condition a
 * test or a person can change, and the receipts it printed.
 *
 * Like a TM printer: real-time commands (DLE EOT n, DLE ENQ, DLE DC4) are
 * answered at once, even while stalled; print data waits in a bounded receive
 * buffer while the cover is open, the paper is out or the printer is offline,
 * and is printed when the condition clears; GS ( H is answered only once
 * everything before it has printed; each cut (GS V) ends one receipt.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { type EscPosCommand, EscPosDecoder } from '../../src/protocols/escpos/commands.js';
import { encodeProcessIdResponse, encodeStatusByte } from '../../src/protocols/escpos/status.js';
import { SerialLinks } from '../common/serial-links.js';
import { startControlServer } from './control-server.js';
import { PrintHead } from './print-head.js';
import {
  automaticStatusBack,
  canPrint,
  NORMAL_CONDITION,
  type PrinterCondition,
  printerIdReply,
  statusOf,
  transmitStatusByte,
} from './printer-status.js';
import type { Receipt, RenderedLine } from './receipt.js';
import { receiptSvg } from './receipt-svg.js';
import { receiptContents, receiptText } from './receipt-text.js';

export type { PrinterCondition } from './printer-status.js';
export type { Receipt, RenderedLine, StyledRun } from './receipt.js';

export interface PrinterSimulatorOptions {
  id?: string;
  /** Where both listeners bind; 127.0.0.1 by default. */
  host?: string;
  /** ESC/POS TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Control API and receipt page; 0 (default) picks a free one. */
  httpPort?: number;
  /** Characters per line in font A (42 for 80 mm paper at 12 dots). */
  columns?: number;
  logger?: Logger;
  /** Receipts kept for the page and the API (default 50). */
  maxReceipts?: number;
  /** Print data held while stalled before sources are paused (default 4 MiB). */
  maxBufferedBytes?: number;
}

export interface PrinterState {
  id: string;
  powered: boolean;
  condition: PrinterCondition;
  /** Bytes of print data waiting to be printed. */
  bufferedBytes: number;
  connections: number;
  receipts: number;
}

interface Session {
  stream: Duplex;
  decoder: EscPosDecoder;
  /** GS a n mask; non-zero sends Automatic Status Back on every change. */
  statusBack: number;
  paused: boolean;
  tcp: boolean;
}

interface QueuedCommand {
  command: EscPosCommand;
  session: Session;
  size: number;
}

export class PrinterSimulator extends EventEmitter {
  readonly id: string;
  private readonly host: string;
  private readonly columns: number;
  private readonly logger: Logger;
  private readonly maxReceipts: number;
  private readonly maxBufferedBytes: number;
  private port: number;
  private server: Server | undefined;
  private control: { url: string; close(): Promise<void> } | undefined;
  private readonly sessions = new Set<Session>();
  private readonly serialLinks = new SerialLinks({ lock: true });
  private queue: QueuedCommand[] = [];
  private queuedBytes = 0;
  private head: PrintHead;
  private recent: Receipt[] = [];
  private nextReceiptId = 1;
  private current: PrinterCondition = { ...NORMAL_CONDITION };
  private powered = false;
  private printing = false;

  constructor(options: PrinterSimulatorOptions = {}) {
    super();
    this.id = options.id ?? 'printer-sim';
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.columns = options.columns ?? 42;
    this.logger = (options.logger ?? silentLogger()).child({ module: 'printer-sim', printer: this.id });
    this.maxReceipts = options.maxReceipts ?? 50;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.head = new PrintHead(this.columns);
  }

  /** The ESC/POS TCP port (the same one across powerOff/powerOn). */
  get escposPort(): number {
    return this.port;
  }

  /** Base URL of the control API and receipt page. */
  get httpUrl(): string {
    return this.control?.url ?? '';
  }

  /** @internal used by startPrinterSimulator */
  async start(httpPort: number): Promise<void> {
    await this.powerOn();
    this.control = await startControlServer(this, { host: this.host, port: httpPort });
  }

  /** Serves ESC/POS over any duplex stream: a socket, a pty, an in-memory pair. */
  attach(stream: Duplex): void {
    this.addSession(stream, false);
  }

  /** Opens a pty or serial device with `serialport` (loaded only now) and serves ESC/POS on it. */
  attachSerialPath(path: string): Promise<void> {
    return this.serialLinks.attach(path, 115200, (port) => this.attach(port));
  }

  condition(): PrinterCondition {
    return { ...this.current };
  }

  state(): PrinterState {
    return {
      id: this.id,
      powered: this.powered,
      condition: this.condition(),
      bufferedBytes: this.queuedBytes,
      connections: this.sessions.size,
      receipts: this.recent.length,
    };
  }

  setCondition(change: Partial<PrinterCondition>): void {
    const next = { ...this.current };
    for (const key of Object.keys(NORMAL_CONDITION) as Array<keyof PrinterCondition>) {
      const value = change[key];
      if (typeof value === 'boolean') next[key] = value;
    }
    this.current = next;
    this.logger.info({ condition: next }, 'printer condition changed');
    for (const session of this.sessions) {
      if (session.statusBack !== 0) this.reply(session, automaticStatusBack(next));
    }
    this.emitState();
    this.print();
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /** Closes the ESC/POS listener and drops every connection; print data not yet printed is lost. */
  async powerOff(): Promise<void> {
    if (!this.powered) return;
    this.powered = false;
    const server = this.server;
    this.server = undefined;
    for (const session of this.sessions) {
      if (session.tcp) session.stream.destroy();
      else session.decoder.reset();
    }
    this.queue = [];
    this.queuedBytes = 0;
    this.head = new PrintHead(this.columns);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.logger.info('printer powered off');
    this.emitState();
  }

  /** Listens again, on the same port as before. */
  async powerOn(): Promise<void> {
    if (this.powered) return;
    const server = createServer((socket) => this.addSession(socket, true));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'ESC/POS listener error'));
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
    this.powered = true;
    this.logger.info({ port: this.port }, 'printer powered on');
    this.emitState();
  }

  receipts(): Receipt[] {
    return [...this.recent];
  }

  receipt(id: number): Receipt | undefined {
    return this.recent.find((receipt) => receipt.id === id);
  }

  clearReceipts(): void {
    this.recent = [];
    this.emitState();
  }

  async close(): Promise<void> {
    await this.powerOff();
    for (const session of this.sessions) session.stream.destroy();
    this.sessions.clear();
    await this.serialLinks.close();
    await this.control?.close();
    this.control = undefined;
    this.removeAllListeners();
  }

  private addSession(stream: Duplex, tcp: boolean): void {
    const session: Session = { stream, decoder: new EscPosDecoder(), statusBack: 0, paused: false, tcp };
    this.sessions.add(session);
    if (tcp) (stream as Socket).setNoDelay(true);
    this.logger.debug({ tcp }, 'ESC/POS connection opened');
    stream.on('data', (chunk: Buffer) => this.receive(session, chunk));
    stream.on('error', (error) => this.logger.debug({ err: error }, 'ESC/POS connection error'));
    stream.on('close', () => {
      this.sessions.delete(session);
      this.emitState();
    });
    this.emitState();
  }

  private receive(session: Session, chunk: Buffer): void {
    if (!this.powered) return;
    for (const command of session.decoder.push(chunk)) {
      if (!this.answerAtOnce(session, command)) {
        const size = sizeOf(command);
        this.queue.push({ command, session, size });
        this.queuedBytes += size;
      }
    }
    this.print();
    if (this.queuedBytes > this.maxBufferedBytes && !session.paused) {
      session.paused = true;
      session.stream.pause();
    }
  }

  /** Real-time commands and status back settings, which do not wait in the buffer. */
  private answerAtOnce(session: Session, command: EscPosCommand): boolean {
    switch (command.type) {
      case 'real-time-status':
        if (command.kind)
          this.reply(session, Uint8Array.of(encodeStatusByte(command.kind, statusOf(this.current))));
        return true;
      case 'real-time-request':
        if (command.n === 2) this.dropBuffer();
        return true;
      case 'real-time-command':
        if (command.fn === 8) this.dropBuffer();
        return true;
      case 'automatic-status-back':
        session.statusBack = command.mask;
        if (command.mask !== 0) this.reply(session, automaticStatusBack(this.current));
        return true;
      default:
        return false;
    }
  }

  private dropBuffer(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.resumeSources();
  }

  /** Prints what is buffered while the printer can print. */
  private print(): void {
    if (this.printing) return;
    this.printing = true;
    try {
      while (this.powered && canPrint(this.current) && this.queue.length > 0) {
        const next = this.queue.shift()!;
        this.queuedBytes -= next.size;
        this.execute(next.session, next.command);
      }
    } finally {
      this.printing = false;
    }
    if (this.queuedBytes <= this.maxBufferedBytes / 2) this.resumeSources();
  }

  private resumeSources(): void {
    for (const session of this.sessions) {
      if (session.paused) {
        session.paused = false;
        session.stream.resume();
      }
    }
  }

  private execute(session: Session, command: EscPosCommand): void {
    switch (command.type) {
      case 'process-id-request':
        if (/^[0-z]{4}$/.test(command.id)) this.reply(session, encodeProcessIdResponse(command.id));
        return;
      case 'transmit-status': {
        const byte = transmitStatusByte(command.n, this.current);
        if (byte !== undefined) this.reply(session, Uint8Array.of(byte));
        return;
      }
      case 'transmit-printer-id': {
        const reply = printerIdReply(command.n);
        if (reply) this.reply(session, reply);
        return;
      }
      case 'unknown':
      case 'oversized':
        this.logger.debug({ command: command.type }, 'ESC/POS data not understood, skipped');
        return;
      default: {
        const cut = this.head.apply(command);
        if (cut) this.finishReceipt(cut);
      }
    }
  }

  private finishReceipt(lines: RenderedLine[]): void {
    const printed = lines.some((line) => line.kind !== 'feed' && !(line.kind === 'text' && line.text === ''));
    if (!printed) return;
    const receipt: Receipt = {
      id: this.nextReceiptId++,
      printedAt: new Date().toISOString(),
      text: receiptText(lines, this.columns),
      lines,
      svg: receiptSvg(lines, this.head.paperWidth),
      ...receiptContents(lines),
    };
    this.recent.push(receipt);
    if (this.recent.length > this.maxReceipts) this.recent.splice(0, this.recent.length - this.maxReceipts);
    this.logger.info({ receipt: receipt.id, lines: lines.length }, 'receipt printed');
    this.emit('receipt', receipt);
    this.emitState();
  }

  private reply(session: Session, bytes: Uint8Array): void {
    const stream = session.stream;
    if (stream.destroyed || !stream.writable) return;
    stream.write(bytes);
  }

  private emitState(): void {
    this.emit('state', this.state());
  }
}

function sizeOf(command: EscPosCommand): number {
  switch (command.type) {
    case 'text':
      return command.bytes.length;
    case 'raster-image':
    case 'graphics-store':
      return command.bits.length;
    case 'bit-image':
    case 'barcode':
    case 'qr-store':
      return command.data.length;
    default:
      return 4;
  }
}

/** Starts a printer: ESC/POS listener and control API both bound to `host` (127.0.0.1). */
export async function startPrinterSimulator(
  options: PrinterSimulatorOptions = {},
): Promise<PrinterSimulator> {
  const printer = new PrinterSimulator(options);
  try {
    await printer.start(options.httpPort ?? 0);
  } catch (error) {
    await printer.close();
    throw error;
  }
  return printer;
}
