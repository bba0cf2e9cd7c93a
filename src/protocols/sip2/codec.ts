/**
 * One connection's SIP2 settings in one place: charset, time zone, error
 * detection, checksum policy, and the 0–9 sequence counter.
 */

import { SIP2_CHARSETS, type Sip2Charset } from './charset.js';
import { nextSequence } from './checksum.js';
import { assertTimeZone, formatSip2Date, parseSip2Date, type Sip2ParsedDate } from './date.js';
import { decodeSip2Message, type Sip2DecodeOptions } from './decode.js';
import {
  encodeSip2MessageWith,
  type ResolvedSip2EncodeOptions,
  resolveSip2EncodeOptions,
  type Sip2EncodeOptions,
} from './encode.js';
import type { Sip2DecodeResult } from './errors.js';
import { SIP2_MESSAGES } from './messages.js';
import type { AnySip2Message, AnySip2MessageInput } from './types.js';

export interface Sip2CodecOptions {
  /** Default 'utf-8'. */
  charset?: Sip2Charset;
  /** IANA zone of the ILS's local time; default the process's zone. */
  timeZone?: string;
  /** Write dates as UTC (`   Z`). Default false: local time, as most servers expect. */
  utcDates?: boolean;
  /** AY/AZ on what we send. Default true. */
  errorDetection?: boolean;
  /** Default 'error'. */
  checksumMismatch?: Sip2DecodeOptions['checksumMismatch'];
  /** Default '\r'. */
  terminator?: '\r' | '\r\n';
  /** Default 'reject'. */
  delimiterInValue?: Sip2EncodeOptions['delimiterInValue'];
}

export class Sip2Codec {
  readonly charset: Sip2Charset;
  /** The ILS's named zone; undefined means the process's own zone. */
  readonly timeZone: string | undefined;
  private readonly encodeOptions: ResolvedSip2EncodeOptions;
  private readonly decodeOptions: Sip2DecodeOptions;
  private sequence = -1;

  /** Throws RangeError for an unknown charset or time-zone name. */
  constructor(options: Sip2CodecOptions = {}) {
    this.charset = options.charset ?? 'utf-8';
    if (!SIP2_CHARSETS.includes(this.charset)) throw new RangeError(`unknown SIP2 charset ${this.charset}`);
    this.timeZone = options.timeZone;
    if (this.timeZone !== undefined) assertTimeZone(this.timeZone);
    this.encodeOptions = resolveSip2EncodeOptions({
      charset: this.charset,
      timeZone: this.timeZone,
      utcDates: options.utcDates ?? false,
      errorDetection: options.errorDetection ?? true,
      terminator: options.terminator ?? '\r',
      delimiterInValue: options.delimiterInValue ?? 'reject',
    });
    this.decodeOptions = {
      charset: this.charset,
      checksumMismatch: options.checksumMismatch ?? 'error',
      requireErrorDetection: this.encodeOptions.errorDetection,
    };
  }

  /** The sequence number the last encoded message carried; -1 before any. */
  get lastSequence(): number {
    return this.sequence;
  }

  /**
   * Encodes a message. The sequence number is `sequence` when given, else the
   * message's own when set (a response echoes the request's), else the next
   * number 0–9. Throws Sip2EncodeError.
   */
  encode(message: AnySip2MessageInput, sequence?: number): Uint8Array {
    // 96 and 97 carry no sequence number and do not use one up.
    const code = (SIP2_MESSAGES as Record<string, { code: string } | undefined>)[message.type]?.code;
    if (code === '96' || code === '97') {
      return encodeSip2MessageWith(message, this.encodeOptions, undefined);
    }
    sequence ??= message.sequence ?? nextSequence(this.sequence < 0 ? 9 : this.sequence);
    const bytes = encodeSip2MessageWith(message, this.encodeOptions, sequence);
    this.sequence = sequence;
    return bytes;
  }

  /** Decodes one frame; never throws. */
  decode(frame: Uint8Array | string): Sip2DecodeResult<AnySip2Message> {
    return decodeSip2Message(frame, this.decodeOptions);
  }

  /** A Date as this connection writes it. */
  formatDate(date: Date): string {
    return formatSip2Date(date, { utc: this.encodeOptions.utcDates, timeZone: this.timeZone });
  }

  /** A SIP2 date as this connection reads it. */
  parseDate(text: string): Sip2ParsedDate {
    return parseSip2Date(text, { timeZone: this.timeZone });
  }
}
