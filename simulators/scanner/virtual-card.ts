/**
 * A virtual contactless card for the real PC/SC stack: it speaks the vpcd
 * socket protocol (vsmartcard's virtual reader driver for pcscd, Debian's
 * vsmartcard-vpcd) as a card in the field would. Presenting the card connects
 * to vpcd (pcscd's reader "Virtual PCD", TCP 35963 by default); removing it
 * closes the connection.
 *
 * The protocol: every message is a 2-byte big-endian length and its bytes.
 * From vpcd, one byte is a control — 0 power off, 1 power on, 2 reset (no
 * answer), 4 "send your ATR" — and anything longer is a command APDU, answered
 * with the response APDU.
 */
import { connect, type Socket } from 'node:net';

/** The ATR PC/SC part 3 gives a MIFARE Classic 1K in a contactless reader. */
export const CONTACTLESS_ATR = Buffer.from('3B8F8001804F0CA000000306030001000000006A', 'hex');

export interface VirtualCardOptions {
  /** The card's UID (4, 7 or 10 bytes), answered to GET DATA FF CA 00 00 00. */
  uid: Uint8Array;
  /** Command APDUs this card answers (hex command → hex response), for campus-card applications; they win over GET DATA. */
  responses?: Readonly<Record<string, string>>;
  /** The card leaves the field when it gets this command (hex), before answering: pulled mid-APDU. */
  leaveOn?: string;
  /** The ATR the card answers (a contact chip card's, say); a MIFARE Classic 1K's when absent. */
  atr?: Uint8Array;
  host?: string;
  port?: number;
}

const CTRL_OFF = 0;
const CTRL_ON = 1;
const CTRL_RESET = 2;
const CTRL_ATR = 4;

/** A card put on the reader: resolves once connected to vpcd. */
export async function presentCard(options: VirtualCardOptions): Promise<VirtualCard> {
  const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port ?? 35963 });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return new VirtualCard(socket, options);
}

export class VirtualCard {
  private buffer = Buffer.alloc(0);
  private powered = false;
  /** Commands seen, for tests: their hex. */
  readonly commands: string[] = [];
  private readonly closed: Promise<void>;
  private markPowered: (() => void) | undefined;
  /** Resolves when the reader first asks for the ATR or powers the card: pcscd has seen it. */
  readonly seen: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly options: VirtualCardOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.seen = new Promise((resolve) => {
      this.markPowered = resolve;
    });
  }

  get present(): boolean {
    return !this.socket.destroyed;
  }

  /** The reader has powered the card (vpcd's power on or reset, not yet off). */
  get isPowered(): boolean {
    return this.powered;
  }

  /** Takes the card off the reader. */
  async remove(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private take(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) return;
      const message = this.buffer.subarray(2, 2 + length);
      this.buffer = this.buffer.subarray(2 + length);
      this.handle(Buffer.from(message));
    }
  }

  private handle(message: Buffer): void {
    if (message.length === 1) {
      const control = message[0];
      if (control !== CTRL_OFF) this.markPowered?.();
      if (control === CTRL_ATR) this.send(Buffer.from(this.options.atr ?? CONTACTLESS_ATR));
      else if (control === CTRL_ON || control === CTRL_RESET) this.powered = true;
      else if (control === CTRL_OFF) this.powered = false;
      return;
    }
    const command = message.toString('hex').toUpperCase();
    this.commands.push(command);
    if (command === this.options.leaveOn?.toUpperCase()) {
      this.socket.destroy();
      return;
    }
    this.send(this.answer(command));
  }

  private answer(command: string): Buffer {
    const scripted = this.options.responses?.[command];
    if (scripted !== undefined) return Buffer.from(scripted, 'hex');
    if (command === 'FFCA000000')
      return Buffer.concat([Buffer.from(this.options.uid), Buffer.of(0x90, 0x00)]);
    // INS not supported.
    return Buffer.of(0x6d, 0x00);
  }

  private send(data: Buffer): void {
    const header = Buffer.alloc(2);
    header.writeUInt16BE(data.length);
    this.socket.write(Buffer.concat([header, data]));
  }
}
