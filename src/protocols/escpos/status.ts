/**
 * ESC/POS real-time status (DLE EOT n) and the process-ID response (GS ( H),
 * as Epson's TM series defines them. Pure: bytes in, typed values out.
 *
 * A status byte always has the form 0xx1xx10 (bits 0, 1, 4, 7 fixed), which is
 * how a status byte is told apart from other data the printer sends back.
 */

export const DLE = 0x10;
export const EOT = 0x04;
export const GS = 0x1d;

export type StatusKind = 'printer' | 'offline' | 'error' | 'paper';
const STATUS_N: Record<StatusKind, number> = { printer: 1, offline: 2, error: 3, paper: 4 };
export const STATUS_KINDS: readonly StatusKind[] = ['printer', 'offline', 'error', 'paper'];

/** DLE EOT n: ask for one real-time status byte. */
export function encodeStatusRequest(kind: StatusKind): Uint8Array {
  return Uint8Array.of(DLE, EOT, STATUS_N[kind]);
}

export function statusKindOf(n: number): StatusKind | undefined {
  return STATUS_KINDS.find((kind) => STATUS_N[kind] === n);
}

export function isStatusByte(byte: number): boolean {
  return (byte & 0b1001_0011) === 0b0001_0010;
}

export interface PrinterStatus {
  /** n=1 */
  drawerOpen: boolean;
  offline: boolean;
  waitingForRecovery: boolean;
  feedButtonPressed: boolean;
  /** n=2 */
  coverOpen: boolean;
  feedingByButton: boolean;
  stoppedByPaperEnd: boolean;
  errorOccurred: boolean;
  /** n=3 */
  cutterError: boolean;
  unrecoverableError: boolean;
  autoRecoverableError: boolean;
  /** n=4 */
  paperNearEnd: boolean;
  paperOut: boolean;
}

export const NORMAL_STATUS: Readonly<PrinterStatus> = Object.freeze({
  drawerOpen: false,
  offline: false,
  waitingForRecovery: false,
  feedButtonPressed: false,
  coverOpen: false,
  feedingByButton: false,
  stoppedByPaperEnd: false,
  errorOccurred: false,
  cutterError: false,
  unrecoverableError: false,
  autoRecoverableError: false,
  paperNearEnd: false,
  paperOut: false,
});

const FIXED = 0b0001_0010;
const bit = (value: boolean, mask: number) => (value ? mask : 0);

/** The byte a printer answers to DLE EOT n, from its state (used by the simulator). */
export function encodeStatusByte(kind: StatusKind, s: PrinterStatus): number {
  switch (kind) {
    case 'printer':
      return (
        FIXED |
        bit(s.drawerOpen, 0x04) |
        bit(s.offline, 0x08) |
        bit(s.waitingForRecovery, 0x20) |
        bit(s.feedButtonPressed, 0x40)
      );
    case 'offline':
      return (
        FIXED |
        bit(s.coverOpen, 0x04) |
        bit(s.feedingByButton, 0x08) |
        bit(s.stoppedByPaperEnd, 0x20) |
        bit(s.errorOccurred, 0x40)
      );
    case 'error':
      return (
        FIXED | bit(s.cutterError, 0x08) | bit(s.unrecoverableError, 0x20) | bit(s.autoRecoverableError, 0x40)
      );
    case 'paper':
      return FIXED | bit(s.paperNearEnd, 0x0c) | bit(s.paperOut, 0x60);
  }
}

/** Reads one status byte into the fields it carries; undefined when it is not a status byte. */
export function decodeStatusByte(kind: StatusKind, byte: number): Partial<PrinterStatus> | undefined {
  if (!isStatusByte(byte)) return undefined;
  switch (kind) {
    case 'printer':
      return {
        drawerOpen: (byte & 0x04) !== 0,
        offline: (byte & 0x08) !== 0,
        waitingForRecovery: (byte & 0x20) !== 0,
        feedButtonPressed: (byte & 0x40) !== 0,
      };
    case 'offline':
      return {
        coverOpen: (byte & 0x04) !== 0,
        feedingByButton: (byte & 0x08) !== 0,
        stoppedByPaperEnd: (byte & 0x20) !== 0,
        errorOccurred: (byte & 0x40) !== 0,
      };
    case 'error':
      return {
        cutterError: (byte & 0x08) !== 0,
        unrecoverableError: (byte & 0x20) !== 0,
        autoRecoverableError: (byte & 0x40) !== 0,
      };
    case 'paper':
      // Either bit of a pair is enough: printers differ in which of the two sensors they report.
      return { paperNearEnd: (byte & 0x0c) !== 0, paperOut: (byte & 0x60) !== 0 };
  }
}

/** Plain-words problems in a status, most serious first; empty when the printer is fit to print. */
export function statusProblems(s: PrinterStatus): string[] {
  const problems: string[] = [];
  if (s.unrecoverableError) problems.push('unrecoverable error');
  if (s.cutterError) problems.push('cutter error');
  if (s.coverOpen) problems.push('cover open');
  if (s.paperOut) problems.push('paper out');
  if (s.autoRecoverableError) problems.push('recoverable error');
  if (s.offline && problems.length === 0) problems.push('offline');
  return problems;
}

/** A printable warning that does not stop printing. */
export function statusWarnings(s: PrinterStatus): string[] {
  return s.paperNearEnd && !s.paperOut ? ['paper near end'] : [];
}

/**
 * GS ( H fn=48: "transmit the process ID response". The printer answers
 * `37 22 d1 d2 d3 d4 00` once everything sent before it has been processed,
 * which is how the driver knows a receipt really printed. The id is 4
 * characters in 0x30–0x7A.
 */
export function encodeProcessIdRequest(id: string): Uint8Array {
  assertProcessId(id);
  return Uint8Array.of(GS, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, ...Buffer.from(id, 'latin1'));
}

export function encodeProcessIdResponse(id: string): Uint8Array {
  assertProcessId(id);
  return Uint8Array.of(0x37, 0x22, ...Buffer.from(id, 'latin1'), 0x00);
}

export function assertProcessId(id: string): void {
  if (!/^[0-z]{4}$/.test(id))
    throw new RangeError(`process id must be 4 characters in 0x30-0x7A, got "${id}"`);
}

export type PrinterReply =
  | { type: 'status'; byte: number }
  | { type: 'process-id'; id: string }
  | { type: 'unknown'; byte: number };

/**
 * An incremental, bounded parser for what a printer sends back. A process-ID
 * response is 7 bytes; anything else is taken a byte at a time, so a stray byte
 * can never wedge the parser.
 */
export class PrinterReplyParser {
  private pending: number[] = [];

  push(chunk: Uint8Array): PrinterReply[] {
    const replies: PrinterReply[] = [];
    for (const byte of chunk) {
      if (this.pending.length > 0) {
        this.pending.push(byte);
        if (this.pending.length === 2 && byte !== 0x22) {
          // Not a process-ID response after all: take both bytes on their own.
          const [first] = this.pending.splice(0, 2);
          replies.push(classify(first!));
          replies.push(classify(byte));
        } else if (this.pending.length === 7) {
          const frame = this.pending.splice(0, 7);
          if (frame[6] === 0x00) {
            replies.push({ type: 'process-id', id: String.fromCharCode(...frame.slice(2, 6)) });
          } else {
            for (const b of frame) replies.push(classify(b));
          }
        }
        continue;
      }
      if (byte === 0x37) this.pending.push(byte);
      else replies.push(classify(byte));
    }
    return replies;
  }

  reset(): void {
    this.pending = [];
  }
}

function classify(byte: number): PrinterReply {
  return isStatusByte(byte) ? { type: 'status', byte } : { type: 'unknown', byte };
}
