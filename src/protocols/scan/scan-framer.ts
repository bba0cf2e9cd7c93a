/**
 * A bounded, incremental framer for scanners that send each code as a line
 * (serial and USB-CDC scanners, magstripe readers in serial mode): chunks in,
 * one item per terminator out (STYLE 4). A scan longer than `maxLength` is
 * refused once, and everything up to its terminator is dropped with it. Bytes
 * held when the line goes quiet (`flush`, the driver's inter-byte timeout) or
 * the reader is lost are an unterminated scan — an error, never a value.
 */
import { ScanError } from './errors.js';
import { decodeScanText, type ScanText, type ScanTextOptions } from './scan-text.js';

/** What ends a scan: carriage return, line feed, CR LF, tab, or ETX. */
export type ScanTerminator = 'cr' | 'lf' | 'crlf' | 'tab' | 'etx';

export interface ScanFramerOptions extends ScanTextOptions {
  terminator: ScanTerminator;
  /** The longest scan accepted, in bytes before the terminator. */
  maxLength: number;
}

export type ScanItem =
  | { ok: true; scan: ScanText; raw: Uint8Array }
  | { ok: false; error: ScanError; raw: Uint8Array };

const CR = 0x0d;
const LF = 0x0a;
const END_BYTE: Record<ScanTerminator, number> = { cr: CR, lf: LF, crlf: LF, tab: 0x09, etx: 0x03 };
const TERMINATOR_NAME: Record<ScanTerminator, string> = {
  cr: 'carriage return (CR)',
  lf: 'line feed (LF)',
  crlf: 'CR LF',
  tab: 'tab',
  etx: 'ETX',
};

/**
 * The byte at which a scan with this terminator is cut, and the terminator's name in words: a
 * prefix or suffix holding that byte can never be matched (the scan is cut there first).
 */
export function scanTerminatorEnd(terminator: ScanTerminator): { byte: number; name: string } {
  return { byte: END_BYTE[terminator], name: TERMINATOR_NAME[terminator] };
}

/** The terminator a scan held without the configured one ended with, if it ended with one. */
function endedWith(raw: Uint8Array): ScanTerminator | undefined {
  const last = raw[raw.length - 1];
  if (last === LF) return raw[raw.length - 2] === CR ? 'crlf' : 'lf';
  if (last === CR) return 'cr';
  if (last === 0x09) return 'tab';
  if (last === 0x03) return 'etx';
  return undefined;
}

export class ScanFramer {
  private held: Uint8Array[] = [];
  private heldLength = 0;
  /** Over the limit: bytes are dropped until the next terminator. */
  private discarding = false;
  private readonly end: number;

  constructor(private readonly options: ScanFramerOptions) {
    this.end = END_BYTE[options.terminator];
  }

  /** Bytes held for a scan not yet terminated. */
  get pending(): number {
    return this.heldLength;
  }

  /**
   * Whether the framer is in the middle of something the line going quiet must end: bytes held,
   * or the rest of a scan already refused as too long being dropped. A scan refused as too long
   * that never got its terminator must not take the next scan with it.
   */
  get midScan(): boolean {
    return this.heldLength > 0 || this.discarding;
  }

  push(chunk: Uint8Array): ScanItem[] {
    const items: ScanItem[] = [];
    let start = 0;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at]!;
      // CR LF: a lone CR before the LF is part of the terminator; a CR-terminated
      // scanner followed by a stray LF gives an empty line, ignored below.
      if (byte !== this.end) continue;
      this.hold(chunk.subarray(start, at), items);
      start = at + 1;
      items.push(...this.take());
    }
    this.hold(chunk.subarray(start), items);
    return items;
  }

  /**
   * The line went quiet (or the reader was lost) with bytes held: they are an unterminated scan.
   * A too-long scan being dropped ends here (it was refused once already); the next bytes begin
   * a new scan.
   */
  flush(): ScanItem[] {
    if (this.discarding) {
      this.discarding = false;
      return [];
    }
    if (this.heldLength === 0) return [];
    const raw = this.joined();
    this.reset();
    // The LF of a CR LF scanner read with a CR-only config (or the CR of one read with LF) is
    // held until the next scan, which drops it; a quiet line after it is no scan either.
    if (raw.every((byte) => byte === CR || byte === LF)) return [];
    // A scanner set up to end its scans otherwise (LF for CR, CR alone for CR LF): say which to set.
    const other = endedWith(raw);
    if (other !== undefined && other !== this.options.terminator)
      return [
        {
          ok: false,
          error: new ScanError(
            'scan_wrong_terminator',
            `the scan ended with ${TERMINATOR_NAME[other]}, not ${TERMINATOR_NAME[this.options.terminator]} as configured: set the scanner's scan.terminator: '${other}' (or set the scanner to end scans with ${TERMINATOR_NAME[this.options.terminator]})`,
          ),
          raw,
        },
      ];
    return [
      {
        ok: false,
        error: new ScanError('scan_unterminated', `${raw.length} byte(s) came without a terminator`),
        raw,
      },
    ];
  }

  private hold(part: Uint8Array, items: ScanItem[]): void {
    if (part.length === 0 || this.discarding) return;
    if (this.heldLength + part.length > this.options.maxLength) {
      const raw = this.joined().subarray(0, 64);
      items.push({
        ok: false,
        error: new ScanError(
          'scan_too_long',
          `a scan passed ${this.options.maxLength} bytes without a terminator`,
        ),
        raw,
      });
      this.reset();
      this.discarding = true;
      return;
    }
    this.held.push(part.slice());
    this.heldLength += part.length;
  }

  private take(): ScanItem[] {
    if (this.discarding) {
      this.discarding = false;
      return [];
    }
    let raw = this.joined();
    this.reset();
    if (this.options.terminator === 'crlf' && raw[raw.length - 1] === CR)
      raw = raw.subarray(0, raw.length - 1);
    // A bare terminator (CR LF seen as CR then LF by a CR-only config, a key held) is no scan.
    if (raw.length === 0 || (raw.length === 1 && (raw[0] === CR || raw[0] === LF))) return [];
    if (raw[0] === LF || raw[0] === CR) raw = raw.subarray(1);
    try {
      return [{ ok: true, scan: decodeScanText(raw, this.options), raw }];
    } catch (error) {
      if (error instanceof ScanError) return [{ ok: false, error, raw }];
      throw error;
    }
  }

  private joined(): Uint8Array {
    if (this.held.length === 1) return this.held[0]!;
    const out = new Uint8Array(this.heldLength);
    let at = 0;
    for (const part of this.held) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  private reset(): void {
    this.held = [];
    this.heldLength = 0;
  }
}
