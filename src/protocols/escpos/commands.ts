/**
 * An incremental, bounded decoder for the ESC/POS byte stream a printer
 * receives (STYLE 3, 4). Pure: bytes in, typed commands out; never throws on
 * input, never allocates more than `maxFrameSize` (plus one chunk) of its own.
 *
 * - A byte no command starts with becomes `{ type: 'unknown', byte }` and the
 *   decoder resyncs at the next byte.
 * - A length-prefixed command (images, 2D symbols, GS ( …) longer than
 *   `maxFrameSize` becomes `{ type: 'oversized' }`; its bytes are skipped
 *   without being kept.
 * - Text is emitted when a control byte ends it or a run reaches `maxTextRun`,
 *   so splitting a stream anywhere gives the same commands; `flush()` emits
 *   text still held at the end of a stream.
 */
import {
  barcodeSymbology,
  DLE,
  ESC,
  ESC_COMMANDS,
  type FixedCommand,
  FS,
  FS_COMMANDS,
  GS,
  GS_COMMANDS,
  realTimeCommand,
} from './command-table.js';
import type { EscPosCommand, QrErrorCorrection } from './command-types.js';

export type { Alignment, BarcodeSymbology, EscPosCommand, EscPosCommandType } from './command-types.js';

export interface EscPosDecoderOptions {
  /** Largest length-prefixed command kept whole (default 4 MiB). */
  maxFrameSize?: number;
  /** Longest text run emitted as one command (default 4096 bytes). */
  maxTextRun?: number;
}

/** What parsing at one offset found. */
type Step =
  | { kind: 'command'; command: EscPosCommand; next: number }
  /** `total` bytes from the command start are needed before it can be read. */
  | { kind: 'need'; total: number };

const LF = 0x0a;
const CR = 0x0d;
const HT = 0x09;
const FF = 0x0c;
const CAN = 0x18;

const QR_LEVELS: Record<number, QrErrorCorrection> = { 48: 'L', 49: 'M', 50: 'Q', 51: 'H' };

export class EscPosDecoder {
  private readonly maxFrameSize: number;
  private readonly maxTextRun: number;
  private held: Uint8Array[] = [];
  private heldLength = 0;
  /** Do not try to parse again until this many bytes are held. */
  private needed = 0;
  /** Bytes of an oversized command still to be dropped. */
  private skipping = 0;

  constructor(options: EscPosDecoderOptions = {}) {
    this.maxFrameSize = Math.max(64, options.maxFrameSize ?? 4 * 1024 * 1024);
    this.maxTextRun = Math.max(1, options.maxTextRun ?? 4096);
  }

  /** Bytes held for a command not yet complete. */
  get pendingBytes(): number {
    return this.heldLength;
  }

  push(chunk: Uint8Array): EscPosCommand[] {
    const commands: EscPosCommand[] = [];
    let data = chunk;
    if (this.skipping > 0) {
      const dropped = Math.min(this.skipping, data.length);
      this.skipping -= dropped;
      data = data.subarray(dropped);
    }
    if (data.length === 0) return commands;
    this.held.push(data);
    this.heldLength += data.length;
    if (this.heldLength < this.needed) return commands;

    const buffer = this.takeHeld();
    let at = 0;
    while (at < buffer.length) {
      const step = this.parseAt(buffer, at);
      if (step.kind === 'need') {
        this.needed = step.total;
        break;
      }
      commands.push(step.command);
      if (step.next > buffer.length) {
        this.skipping = step.next - buffer.length;
        at = buffer.length;
      } else {
        at = step.next;
      }
    }
    if (at < buffer.length) {
      const rest = buffer.slice(at);
      this.held = [rest];
      this.heldLength = rest.length;
    } else {
      this.needed = 0;
    }
    return commands;
  }

  /** Ends the stream: held text is emitted; an incomplete command is dropped. */
  flush(): EscPosCommand[] {
    const buffer = this.takeHeld();
    this.needed = 0;
    this.skipping = 0;
    let end = 0;
    while (end < buffer.length && buffer[end]! >= 0x20) end++;
    return end > 0 ? [{ type: 'text', bytes: buffer.slice(0, end) }] : [];
  }

  reset(): void {
    this.takeHeld();
    this.needed = 0;
    this.skipping = 0;
  }

  private takeHeld(): Uint8Array {
    const parts = this.held;
    this.held = [];
    this.heldLength = 0;
    if (parts.length === 1) return parts[0]!;
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  private parseAt(b: Uint8Array, at: number): Step {
    const first = b[at]!;
    if (first >= 0x20) return this.text(b, at);
    const single = (command: EscPosCommand): Step => ({ kind: 'command', command, next: at + 1 });
    switch (first) {
      case LF:
        return single({ type: 'line-feed' });
      case CR:
        return single({ type: 'carriage-return' });
      case HT:
        return single({ type: 'horizontal-tab' });
      case FF:
        return single({ type: 'form-feed' });
      case CAN:
        return single({ type: 'cancel-page-data' });
      case ESC:
      case GS:
      case FS:
      case DLE:
        return this.prefixed(b, at);
      default:
        return single({ type: 'unknown', byte: first });
    }
  }

  private text(b: Uint8Array, at: number): Step {
    let end = at;
    const limit = Math.min(b.length, at + this.maxTextRun);
    while (end < limit && b[end]! >= 0x20) end++;
    if (end === b.length && end - at < this.maxTextRun) return { kind: 'need', total: end - at + 1 };
    return { kind: 'command', command: { type: 'text', bytes: b.slice(at, end) }, next: end };
  }

  private prefixed(b: Uint8Array, at: number): Step {
    if (at + 1 >= b.length) return { kind: 'need', total: 2 };
    const prefix = b[at]!;
    const x = b[at + 1]!;
    const unknown: Step = { kind: 'command', command: { type: 'unknown', byte: prefix }, next: at + 1 };
    if (prefix === DLE) {
      if (at + 2 >= b.length) return { kind: 'need', total: 3 };
      const fixed = realTimeCommand(x, b[at + 2]!);
      return fixed ? this.fixed(b, at, fixed) : unknown;
    }
    if (x === 0x28) return this.parenthesised(b, at, prefix);
    const table = prefix === ESC ? ESC_COMMANDS : prefix === GS ? GS_COMMANDS : FS_COMMANDS;
    const fixed = table.get(x);
    if (fixed) return this.fixed(b, at, fixed);
    if (prefix === ESC) {
      if (x === 0x2a) return this.bitImage(b, at) ?? unknown;
      if (x === 0x44) return this.tabPositions(b, at);
      if (x === 0x26) return this.userCharacters(b, at) ?? unknown;
    }
    if (prefix === GS) {
      if (x === 0x56) return this.cut(b, at) ?? unknown;
      if (x === 0x6b) return this.barcode(b, at) ?? unknown;
      if (x === 0x76) return this.raster(b, at) ?? unknown;
      if (x === 0x38) return this.graphics8(b, at) ?? unknown;
      if (x === 0x2a) return this.downloadedImage(b, at);
    }
    return unknown;
  }

  private fixed(b: Uint8Array, at: number, fixed: FixedCommand): Step {
    const total = 2 + fixed.params;
    if (at + total > b.length) return { kind: 'need', total };
    return { kind: 'command', command: fixed.build(b.subarray(at + 2, at + total)), next: at + total };
  }

  /** A command of `header` bytes then `length` data bytes, bounded by maxFrameSize. */
  private frame(
    b: Uint8Array,
    at: number,
    header: number,
    length: number,
    name: string,
    build: (body: Uint8Array) => EscPosCommand,
  ): Step {
    const total = header + length;
    if (length > this.maxFrameSize) {
      return { kind: 'command', command: { type: 'oversized', command: name, length }, next: at + total };
    }
    if (at + total > b.length) return { kind: 'need', total };
    return { kind: 'command', command: build(b.subarray(at + header, at + total)), next: at + total };
  }

  /** ESC ( x / GS ( x / FS ( x pL pH d1…dp. */
  private parenthesised(b: Uint8Array, at: number, prefix: number): Step {
    if (at + 5 > b.length) return { kind: 'need', total: 5 };
    const letter = b[at + 2]!;
    const length = b[at + 3]! | (b[at + 4]! << 8);
    const name = `${prefix === ESC ? 'ESC' : prefix === GS ? 'GS' : 'FS'} ( ${String.fromCharCode(letter)}`;
    return this.frame(b, at, 5, length, name, (body) => {
      if (prefix === GS && letter === 0x6b && body.length >= 2) return twoDimensional(body);
      if (prefix === GS && letter === 0x4c && body.length >= 2) return graphics(body[1]!, body.subarray(2));
      if (prefix === GS && letter === 0x48 && body.length === 6 && body[0] === 0x30 && body[1] === 0x30) {
        return { type: 'process-id-request', id: String.fromCharCode(...body.subarray(2)) };
      }
      return { type: 'extended', prefix, letter, params: body.slice() };
    });
  }

  /** GS 8 L p1 p2 p3 p4 m fn …. */
  private graphics8(b: Uint8Array, at: number): Step | undefined {
    if (at + 3 > b.length) return { kind: 'need', total: 3 };
    if (b[at + 2] !== 0x4c) return undefined;
    if (at + 7 > b.length) return { kind: 'need', total: 7 };
    const length = (b[at + 3]! | (b[at + 4]! << 8) | (b[at + 5]! << 16)) + b[at + 6]! * 0x1000000;
    return this.frame(b, at, 7, length, 'GS 8 L', (body) =>
      body.length >= 2
        ? graphics(body[1]!, body.subarray(2))
        : { type: 'graphics', fn: -1, params: body.slice() },
    );
  }

  /** GS v 0 m xL xH yL yH d1…dk. */
  private raster(b: Uint8Array, at: number): Step | undefined {
    if (at + 3 > b.length) return { kind: 'need', total: 3 };
    if (b[at + 2] !== 0x30) return undefined;
    if (at + 8 > b.length) return { kind: 'need', total: 8 };
    const mode = b[at + 3]!;
    const widthBytes = b[at + 4]! | (b[at + 5]! << 8);
    const height = b[at + 6]! | (b[at + 7]! << 8);
    return this.frame(b, at, 8, widthBytes * height, 'GS v 0', (bits) => ({
      type: 'raster-image',
      mode,
      widthBytes,
      height,
      bits: bits.slice(),
    }));
  }

  /** GS * x y d1…d(x·y·8): define a downloaded bit image. */
  private downloadedImage(b: Uint8Array, at: number): Step {
    if (at + 4 > b.length) return { kind: 'need', total: 4 };
    const length = b[at + 2]! * b[at + 3]! * 8;
    return this.frame(b, at, 4, length, 'GS *', (body) => ({
      type: 'extended',
      prefix: GS,
      letter: 0x2a,
      params: Uint8Array.of(b[at + 2]!, b[at + 3]!, ...body),
    }));
  }

  /** ESC * m nL nH d1…dk. */
  private bitImage(b: Uint8Array, at: number): Step | undefined {
    if (at + 5 > b.length) return { kind: 'need', total: 5 };
    const mode = b[at + 2]!;
    const width = b[at + 3]! | (b[at + 4]! << 8);
    const perColumn = mode === 0 || mode === 1 ? 1 : mode === 32 || mode === 33 ? 3 : 0;
    if (perColumn === 0) return undefined;
    return this.frame(b, at, 5, width * perColumn, 'ESC *', (data) => ({
      type: 'bit-image',
      mode,
      width,
      data: data.slice(),
    }));
  }

  /** ESC D n1…nk NUL (at most 32 positions). */
  private tabPositions(b: Uint8Array, at: number): Step {
    const columns: number[] = [];
    for (let i = at + 2; i < at + 2 + 33; i++) {
      if (i >= b.length) return { kind: 'need', total: i - at + 1 };
      const n = b[i]!;
      if (n === 0 || columns.length === 32) {
        return { kind: 'command', command: { type: 'tab-positions', columns }, next: n === 0 ? i + 1 : i };
      }
      columns.push(n);
    }
    return { kind: 'command', command: { type: 'tab-positions', columns }, next: at + 34 };
  }

  /** ESC & y c1 c2 [x d1…d(y·x)]…: user-defined characters, taken whole. */
  private userCharacters(b: Uint8Array, at: number): Step | undefined {
    if (at + 5 > b.length) return { kind: 'need', total: 5 };
    const y = b[at + 2]!;
    const c1 = b[at + 3]!;
    const c2 = b[at + 4]!;
    if (y < 1 || y > 3 || c1 < 0x20 || c2 > 0x7e || c2 < c1) return undefined;
    let i = at + 5;
    for (let code = c1; code <= c2; code++) {
      if (i >= b.length) return { kind: 'need', total: i - at + 1 };
      const x = b[i]!;
      if (x > 12) return undefined;
      i += 1 + x * y;
    }
    if (i > b.length) return { kind: 'need', total: i - at };
    return {
      kind: 'command',
      command: { type: 'extended', prefix: ESC, letter: 0x26, params: b.slice(at + 2, i) },
      next: i,
    };
  }

  /** GS V m / GS V m n. */
  private cut(b: Uint8Array, at: number): Step | undefined {
    if (at + 3 > b.length) return { kind: 'need', total: 3 };
    const mode = b[at + 2]!;
    if ([0, 1, 48, 49].includes(mode)) {
      return {
        kind: 'command',
        command: { type: 'cut', partial: (mode & 1) === 1, feedDots: 0, mode },
        next: at + 3,
      };
    }
    if ([65, 66, 97, 98, 103, 104].includes(mode)) {
      if (at + 4 > b.length) return { kind: 'need', total: 4 };
      const partial = mode === 66 || mode === 98 || mode === 104;
      return {
        kind: 'command',
        command: { type: 'cut', partial, feedDots: b[at + 3]!, mode },
        next: at + 4,
      };
    }
    return undefined;
  }

  /** GS k m d1…dk NUL (m 0–6) or GS k m n d1…dn (m 65–79). */
  private barcode(b: Uint8Array, at: number): Step | undefined {
    if (at + 3 > b.length) return { kind: 'need', total: 3 };
    const m = b[at + 2]!;
    if (m <= 6) {
      for (let i = at + 3; i < at + 3 + 256; i++) {
        if (i >= b.length) return { kind: 'need', total: i - at + 1 };
        if (b[i] === 0) {
          return {
            kind: 'command',
            command: { type: 'barcode', symbology: barcodeSymbology(m), m, data: b.slice(at + 3, i) },
            next: i + 1,
          };
        }
      }
      return undefined;
    }
    if (m >= 65 && m <= 79) {
      if (at + 4 > b.length) return { kind: 'need', total: 4 };
      const length = b[at + 3]!;
      return this.frame(b, at, 4, length, 'GS k', (data) => ({
        type: 'barcode',
        symbology: barcodeSymbology(m),
        m,
        data: data.slice(),
      }));
    }
    return undefined;
  }
}

/** GS ( k pL pH cn fn …. */
function twoDimensional(body: Uint8Array): EscPosCommand {
  const cn = body[0]!;
  const fn = body[1]!;
  const params = body.subarray(2);
  if (cn === 49) {
    if (fn === 65) return { type: 'qr-model', model: (params[0] ?? 0x32) - 0x30 };
    if (fn === 67) return { type: 'qr-module-size', dots: params[0] ?? 3 };
    if (fn === 69) {
      const level = QR_LEVELS[params[0] ?? 48];
      if (level) return { type: 'qr-error-correction', level };
    }
    if (fn === 80 && params[0] === 48) return { type: 'qr-store', data: params.slice(1) };
    if (fn === 81) return { type: 'qr-print' };
    if (fn === 82) return { type: 'qr-transmit-size' };
  }
  return { type: 'symbol', cn, fn, params: params.slice() };
}

/** GS ( L / GS 8 L, after m: fn and its parameters. */
function graphics(fn: number, params: Uint8Array): EscPosCommand {
  if (fn === 50 || fn === 2) return { type: 'graphics-print' };
  if (fn === 112 && params.length >= 8) {
    const width = params[4]! | (params[5]! << 8);
    const height = params[6]! | (params[7]! << 8);
    return {
      type: 'graphics-store',
      tone: params[0]!,
      scaleX: params[1]!,
      scaleY: params[2]!,
      color: params[3]!,
      width,
      height,
      bits: params.slice(8),
    };
  }
  return { type: 'graphics', fn, params: params.slice() };
}
