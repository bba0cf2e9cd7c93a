/**
 * The console's view of the wire: every frame sent and received is noted (which
 * message went out last, whether anything came back since — what the console's
 * error messages are built from) and, with `--wire`, written to stderr as one
 * line per frame: a timestamp, `>` or `<`, and the frame masked, with bytes
 * outside printable ASCII shown as `\xHH`.
 */
import type { Sip2FrameListener } from '../../devices/ils/index.js';
import { maskFrameForLog } from '../../protocols/sip2/index.js';

export interface WireTraceOptions {
  /** Where trace lines go; none: frames are only noted. */
  out?: NodeJS.WritableStream;
  /** Show item barcodes; PINs, passwords and patron data are masked whatever this says. */
  unmaskItems?: boolean;
  now?: () => Date;
}

export class WireTrace {
  /** The 2-character code of the last frame sent. */
  lastSent: string | undefined;
  /** Whether a frame arrived after the last one sent. */
  answered = false;
  /** Whether the ILS ever answered a login (93) on this console's connections. */
  loginAnswered = false;
  readonly listener: Sip2FrameListener;

  constructor(private readonly options: WireTraceOptions = {}) {
    this.listener = (direction, frame) => this.note(direction, frame);
  }

  private note(direction: 'sent' | 'received', frame: Uint8Array): void {
    if (direction === 'sent') {
      this.lastSent = Buffer.from(frame.subarray(0, 2)).toString('latin1');
      this.answered = false;
    } else {
      this.answered = true;
      if (this.lastSent === '93') this.loginAnswered = true;
    }
    const { out } = this.options;
    if (!out) return;
    const at = (this.options.now ?? (() => new Date()))();
    out.write(traceLine(direction, frame, at, this.options.unmaskItems ?? false));
  }
}

/** One trace line: time, direction, the masked frame with its bytes shown exactly. */
export function traceLine(
  direction: 'sent' | 'received',
  frame: Uint8Array,
  at: Date,
  unmaskItems: boolean,
): string {
  // Masked as Latin-1 text, one character per byte: field ids and `|` are ASCII in every
  // SIP2 charset, so the mask never shifts a byte, and the bytes shown are the bytes sent.
  const masked = maskFrameForLog(Buffer.from(frame).toString('latin1'), { items: !unmaskItems });
  return `${traceTime(at)} ${direction === 'sent' ? '>' : '<'} ${showBytes(masked)}\n`;
}

/** Printable ASCII as it is, a backslash doubled, every other byte as `\xHH`. */
export function showBytes(latin1: string): string {
  let out = '';
  for (let i = 0; i < latin1.length; i++) {
    const c = latin1.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += latin1[i];
    else out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Local time with its offset and milliseconds: `2026-03-15T14:25:30.123+01:00`. */
export function traceTime(at: Date): string {
  const offset = -at.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}` +
    `T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}` +
    `.${String(at.getMilliseconds()).padStart(3, '0')}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  );
}
