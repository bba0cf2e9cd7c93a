/**
 * A message passed on as it came. The decoder marks a frame's body verbatim when
 * encoding the decoded message again, in the same charset, writes exactly those
 * bytes (fields in the spec's order, flags upper-case, nothing past 255
 * characters…). A relay can then send the body on with only its own error
 * detection and terminator, which is what encoding the message would give,
 * without building it again.
 */

import type { Sip2Charset } from './charset.js';
import { writeChecksumHex } from './checksum.js';
import type { Sip2Warning, Sip2WarningCode } from './errors.js';

/** The body of a decoded frame: its bytes from the message code up to AY/AZ (or the end). */
export interface Sip2VerbatimBody {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
  /** The charset it was read in. */
  readonly charset: Sip2Charset;
  /** Every byte ASCII: the same bytes in every charset. */
  readonly ascii: boolean;
}

export interface Sip2ReframeOptions {
  charset: Sip2Charset;
  /** AY<sequence>AZ<checksum> after the body. */
  errorDetection: boolean;
  /** 0–9; absent writes 0, as the encoder does for a message with none. */
  sequence: number | undefined;
  terminator: '\r' | '\r\n';
}

const A = 65;
const Y = 89;
const Z = 90;

/**
 * The bytes encodeSip2Message would write for the body's message with these
 * options; undefined when it cannot say so (the body is not ASCII and the
 * charsets differ, or the sequence number is not 0–9). Not for 96/97, which
 * carry no sequence number.
 */
export function reframeSip2Body(body: Sip2VerbatimBody, options: Sip2ReframeOptions): Uint8Array | undefined {
  if (!body.ascii && body.charset !== options.charset) return undefined;
  const sequence = options.sequence ?? 0;
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 9) return undefined;
  const length = body.end - body.start;
  const tail = (options.errorDetection ? 9 : 0) + options.terminator.length;
  const out = Buffer.allocUnsafe(length + tail);
  out.set(body.bytes.subarray(body.start, body.end), 0);
  let at = length;
  if (options.errorDetection) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += out[i]!;
    out[at++] = A;
    out[at++] = Y;
    out[at++] = 48 + sequence;
    out[at++] = A;
    out[at++] = Z;
    sum += A + Y + 48 + sequence + A + Z;
    writeChecksumHex(out, at, -sum & 0xffff);
    at += 4;
  }
  out[at] = 13;
  if (options.terminator.length === 2) out[at + 1] = 10;
  return out;
}

// What the decoder checks to mark a body verbatim.

/** A `|` among the fixed fields: the encoder refuses it there. */
export function pipeIn(text: string, fixedLength: number): boolean {
  const at = text.indexOf('|');
  return at >= 0 && at < fixedLength;
}

/** Warnings about what the encoder writes back as it came (a fixed free-form date is refused by decodeFixed). */
const HARMLESS: ReadonlySet<Sip2WarningCode> = new Set([
  'checksum_missing',
  'checksum_mismatch',
  'checksum_over_characters',
  'free_form_date',
  'unknown_enum_value',
]);

export function harmless(warnings: Sip2Warning[]): boolean {
  for (const warning of warnings) if (!HARMLESS.has(warning.code)) return false;
  return true;
}

/** Whether text[at, at + width) holds only the characters `a` and `b`. */
export function onlyChars(text: string, at: number, width: number, a: number, b: number): boolean {
  for (let i = at; i < at + width; i++) {
    const c = text.charCodeAt(i);
    if (c !== a && c !== b) return false;
  }
  return true;
}

export function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
