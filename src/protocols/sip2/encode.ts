/**
 * The SIP2 encoder: strict. Required fields must be there, fixed fields exactly
 * their width, values at most 255 characters with no terminator in them; a `|` in
 * a value is refused, or escaped (`&#124;`) or replaced when the caller asks for it. Produces the bytes
 * for the wire in the connection's charset, with AY/AZ and the terminator.
 */

import { encodeSip2Text, foldSip2Text, isAsciiText, type Sip2Charset, writeAsciiText } from './charset.js';
import { sip2ChecksumValue, writeChecksumHex } from './checksum.js';
import { COMPILED_BY_TYPE, type CompiledField, type CompiledFixed } from './compiled.js';
import { formatSip2Date, isSip2DateShape } from './date.js';
import type { Sip2EnumTable } from './enums.js';
import { Sip2EncodeError } from './errors.js';
import { encodeFlags, encodeSummary, PATRON_STATUS_FLAGS, SUPPORTED_MESSAGE_FLAGS } from './flags.js';
import type { AnySip2MessageInput } from './types.js';

export const MAX_FIELD_LENGTH = 255;

export interface Sip2EncodeOptions {
  /** Default 'utf-8' (identical to ASCII for ASCII text). */
  charset?: Sip2Charset;
  /** Append AY<sequence>AZ<checksum> (AZ alone on 96/97). Default true. */
  errorDetection?: boolean;
  /** 0–9; default the message's own `sequence`, else 0. */
  sequence?: number;
  /** Default '\r'. */
  terminator?: '\r' | '\r\n';
  /** IANA zone for Date values written as local time; default the process's zone. */
  timeZone?: string;
  /** Write Date values as UTC (`   Z`) instead of local time. */
  utcDates?: boolean;
  /**
   * A `|` inside a value: 'reject' (default) throws Sip2EncodeError; 'escape'
   * writes it as `&#124;`, as Koha's and Evergreen's SIPServer write it and
   * the decoder reads it (the 255 characters counted as written); 'replace'
   * writes `pipeReplacement` instead (default '/'), losing it.
   */
  delimiterInValue?: 'reject' | 'escape' | 'replace';
  pipeReplacement?: string;
}

type Options = Required<Omit<Sip2EncodeOptions, 'sequence' | 'timeZone'>> & {
  sequence: number | undefined;
  timeZone: string | undefined;
};

/** Encode options with every default filled in, for a caller that encodes many messages with them. */
export type ResolvedSip2EncodeOptions = Readonly<Options>;

export function resolveSip2EncodeOptions(options: Sip2EncodeOptions): ResolvedSip2EncodeOptions {
  return resolve(options);
}

function resolve(options: Sip2EncodeOptions): Options {
  return {
    charset: options.charset ?? 'utf-8',
    errorDetection: options.errorDetection ?? true,
    sequence: options.sequence,
    terminator: options.terminator ?? '\r',
    timeZone: options.timeZone,
    utcDates: options.utcDates ?? false,
    delimiterInValue: options.delimiterInValue ?? 'reject',
    pipeReplacement: options.pipeReplacement ?? '/',
  };
}

function fail(
  code: ConstructorParameters<typeof Sip2EncodeError>[0],
  message: string,
  field?: string,
): never {
  throw new Sip2EncodeError(code, message, field);
}

/** How SIPServer (Koha, Evergreen) writes a `|` inside a value, and the decoder reads it. */
export const ESCAPED_PIPE = '&#124;';

/** Checks a variable-field value; returns it, with `|` escaped or replaced if so asked. */
function checkValue(value: unknown, field: string, options: Options): string {
  if (typeof value !== 'string') fail('sip2_invalid_value', `${field} must be a string`, field);
  let pipes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 124) pipes++;
    else if (c === 13 || c === 10)
      fail('sip2_delimiter_in_value', `${field} contains a line terminator`, field);
  }
  // Counted as the link's charset writes it: € is EUR, three characters, on an ASCII link; an
  // escaped | as its six.
  const escaped = options.delimiterInValue === 'escape' ? pipes * (ESCAPED_PIPE.length - 1) : 0;
  const length =
    (value.length > MAX_FIELD_LENGTH / 3 || escaped > 0
      ? foldSip2Text(value, options.charset).length
      : value.length) + escaped;
  if (length > MAX_FIELD_LENGTH) {
    fail('sip2_value_too_long', `${field} is ${length} characters, at most ${MAX_FIELD_LENGTH}`, field);
  }
  if (pipes === 0) return value;
  if (options.delimiterInValue === 'escape') return value.replaceAll('|', ESCAPED_PIPE);
  if (options.delimiterInValue === 'replace') return value.replaceAll('|', options.pipeReplacement);
  return fail('sip2_delimiter_in_value', `${field} contains the field delimiter |`, field);
}

function enumCode(table: Sip2EnumTable, value: unknown, field: string, width: number | undefined): string {
  let code: string | undefined;
  if (typeof value === 'string') code = table.byName.get(value)?.code;
  else if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  ) {
    code = (value as { code: string }).code;
  }
  if (code === undefined) fail('sip2_invalid_value', `${field} is not a known value`, field);
  if (width !== undefined && code.length !== width) {
    fail('sip2_fixed_width', `${field} must be ${width} characters`, field);
  }
  return code;
}

function encodeDate(value: unknown, field: string, options: Options, strict: boolean): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail('sip2_invalid_value', `${field} is an invalid Date`, field);
    return formatSip2Date(value, { utc: options.utcDates, timeZone: options.timeZone });
  }
  if (typeof value !== 'string')
    fail('sip2_invalid_value', `${field} must be a Date or a SIP2 date string`, field);
  if (strict && !isSip2DateShape(value)) {
    fail('sip2_fixed_width', `${field} must be an 18-character YYYYMMDDZZZZHHMMSS date`, field);
  }
  return value;
}

function encodeFixed(field: CompiledFixed, value: unknown, options: Options): string {
  const { name, width } = field;
  switch (field.kind) {
    case 'flag':
      if (typeof value !== 'boolean') fail('sip2_invalid_value', `${name} must be true or false`, name);
      return value ? 'Y' : 'N';
    case 'bit':
      if (typeof value !== 'boolean') fail('sip2_invalid_value', `${name} must be true or false`, name);
      return value ? '1' : '0';
    case 'ynu':
      if (value === 'unknown') return 'U';
      if (typeof value !== 'boolean')
        fail('sip2_invalid_value', `${name} must be true, false or 'unknown'`, name);
      return value ? 'Y' : 'N';
    case 'char':
    case 'text':
      if (typeof value !== 'string' || value.length !== width || /[|\r\n]/.test(value)) {
        fail('sip2_fixed_width', `${name} must be ${width} character(s)`, name);
      }
      return value;
    case 'digits': {
      // Blanks say "not available or unsupported" (the 64 counts): null, or the count left out.
      if (value == null && field.blank) return ' '.repeat(width);
      const max = 10 ** width - 1;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
        fail('sip2_invalid_value', `${name} must be an integer 0..${max}`, name);
      }
      return String(value).padStart(width, '0');
    }
    case 'date18':
      if (value == null && field.blank) return ' '.repeat(width);
      if (value == null) return fail('sip2_missing_field', `${name} is required`, name);
      return encodeDate(value, name, options, true);
    case 'enum':
      return enumCode(field.enumTable!, value, name, width);
    case 'patronStatus':
      if (value != null && typeof value !== 'object')
        fail('sip2_invalid_value', `${name} must be flags`, name);
      return encodeFlags(PATRON_STATUS_FLAGS, value as Record<string, boolean> | undefined, ' ');
    case 'summary':
      return encodeSummary(value as never);
  }
}

function encodeVariable(field: CompiledField, value: unknown, options: Options): string {
  const { id, name } = field;
  switch (field.kind) {
    case 'flag':
      if (typeof value !== 'boolean') fail('sip2_invalid_value', `${name} must be true or false`, name);
      return value ? `${id}Y|` : `${id}N|`;
    case 'date':
      return id + checkValue(encodeDate(value, name, options, false), name, options) + '|';
    case 'enum':
      return id + checkValue(enumCode(field.enumTable!, value, name, undefined), name, options) + '|';
    case 'supportedMessages':
      if (typeof value !== 'object') fail('sip2_invalid_value', `${name} must be flags`, name);
      return id + encodeFlags(SUPPORTED_MESSAGE_FLAGS, value as Record<string, boolean>, 'N') + '|';
    case 'text':
      return id + checkValue(value, name, options) + '|';
  }
}

/** The message as text, without AY/AZ or terminator. Throws Sip2EncodeError. */
export function encodeSip2Body(message: AnySip2MessageInput, options: Sip2EncodeOptions = {}): string {
  return body(message, resolve(options));
}

function body(message: AnySip2MessageInput, options: Options): string {
  const compiled = COMPILED_BY_TYPE.get((message as { type?: unknown }).type as string);
  if (compiled === undefined) return fail('sip2_unknown_message', 'unknown message type');
  const record = message as unknown as Record<string, unknown>;
  let out = compiled.code;
  for (const field of compiled.fixed) out += encodeFixed(field, record[field.name], options);
  for (const field of compiled.fields) {
    const value = record[field.name];
    if (value === undefined || value === null) {
      if (field.required) fail('sip2_missing_field', `${field.name} (${field.id}) is required`, field.name);
      continue;
    }
    if (field.repeatable) {
      if (!Array.isArray(value)) fail('sip2_invalid_value', `${field.name} must be an array`, field.name);
      if (field.required && value.length === 0) {
        fail('sip2_missing_field', `${field.name} (${field.id}) is required`, field.name);
      }
      for (const item of value) out += field.id + checkValue(item, field.name, options) + '|';
    } else {
      out += encodeVariable(field, value, options);
    }
  }
  const extra = (message as { extraFields?: unknown }).extraFields;
  if (extra !== undefined) {
    if (!Array.isArray(extra)) fail('sip2_invalid_value', 'extraFields must be an array', 'extraFields');
    for (const field of extra as Array<{ id?: unknown; value?: unknown }>) {
      const id = field.id;
      if (typeof id !== 'string' || !/^[A-Za-z0-9]{2}$/.test(id) || id === 'AY' || id === 'AZ') {
        fail(
          'sip2_invalid_value',
          'an extra field id must be two letters or digits, not AY/AZ',
          'extraFields',
        );
      }
      out += id + checkValue(field.value, id, options) + '|';
    }
  }
  return out;
}

/** Encodes a message for the wire: bytes in the charset, AY/AZ (unless off; no AY on 96/97), terminator. */
export function encodeSip2Message(message: AnySip2MessageInput, options: Sip2EncodeOptions = {}): Uint8Array {
  const resolved = resolve(options);
  return encodeSip2MessageWith(message, resolved, resolved.sequence);
}

/**
 * encodeSip2Message with options resolved once (a codec's) and the sequence
 * number given apart, so that encoding a message copies no options.
 */
export function encodeSip2MessageWith(
  message: AnySip2MessageInput,
  resolved: ResolvedSip2EncodeOptions,
  sequence: number | undefined,
): Uint8Array {
  let text = body(message, resolved);
  const compiled = COMPILED_BY_TYPE.get(message.type)!;
  const withChecksum = resolved.errorDetection;
  if (withChecksum && compiled.spec.noSequence === true) {
    text += 'AZ';
  } else if (withChecksum) {
    const number = sequence ?? message.sequence ?? 0;
    if (!Number.isInteger(number) || number < 0 || number > 9) {
      fail('sip2_invalid_value', 'sequence must be 0..9', 'sequence');
    }
    text += 'AY' + number + 'AZ';
  }
  const terminator = resolved.terminator;
  const tail = (withChecksum ? 4 : 0) + terminator.length;
  let out: Buffer;
  let at: number;
  if (isAsciiText(text)) {
    // Most messages: the text written straight into the frame.
    at = text.length;
    out = Buffer.allocUnsafe(at + tail);
    writeAsciiText(out, text);
  } else {
    const encoded = encodeSip2Text(text, resolved.charset);
    at = encoded.length;
    out = Buffer.allocUnsafe(at + tail);
    out.set(encoded, 0);
  }
  if (withChecksum) {
    writeChecksumHex(out, at, sip2ChecksumValue(out, 0, at));
    at += 4;
  }
  out[at] = 13;
  if (terminator.length === 2) out[at + 1] = 10;
  return out;
}
