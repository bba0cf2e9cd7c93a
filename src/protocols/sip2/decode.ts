/**
 * The SIP2 decoder: lenient, and it never throws. Unknown and repeated fields are
 * kept in order, free-form dates are kept as text with a warning, a missing final
 * `|` is tolerated, a plain-text line is reported as such, and a wrong checksum is
 * an error or a warning as the caller chooses. A checksum its peer summed over the
 * characters rather than the bytes (servers in the wild do) holds, with a warning.
 * Spaces or tabs after the checksum (or the last `|`) are left off, as SIPServer does.
 *
 * Hot path: one pass over the bytes (checksum sum + ASCII check), one string
 * conversion, then charCode/indexOf scanning with table lookups per field id.
 */

import { decodeSip2Text, encodeSip2Text, type Sip2Charset } from './charset.js';
import { readChecksumHex } from './checksum.js';
import {
  COMPILED_BY_CODE,
  type CompiledField,
  type CompiledMessage,
  FIELD_INDEX_BY_SLOT,
} from './compiled.js';
import { isSip2DateShape, SIP2_DATE_LENGTH } from './date.js';
import { ESCAPED_PIPE, MAX_FIELD_LENGTH } from './encode.js';
import type { Sip2EnumTable, Sip2EnumValue } from './enums.js';
import { Sip2DecodeError, type Sip2DecodeResult, type Sip2Warning, type Sip2WarningCode } from './errors.js';
import { fieldSlot } from './fields.js';
import {
  decodeFlags,
  decodeSummary,
  encodeSummary,
  PATRON_STATUS_FLAGS,
  SUPPORTED_MESSAGE_FLAGS,
} from './flags.js';
import type { AnySip2Message, Sip2ExtraField } from './types.js';
import { harmless, isAlnum, onlyChars, pipeIn, type Sip2VerbatimBody } from './verbatim.js';

export interface Sip2DecodeOptions {
  /** Default 'utf-8'. */
  charset?: Sip2Charset;
  /** A wrong checksum: 'error' (default) fails the decode, 'warn' adds a warning, 'ignore' neither. */
  checksumMismatch?: 'error' | 'warn' | 'ignore';
  /** Warn when a message other than 96/97 has no AZ. Default false. */
  requireErrorDetection?: boolean;
}

const A = 65;
const Y = 89;
const Z = 90;
const PIPE = 124;
const SPACE = 32;
const TAB = 9;

function warn(
  warnings: Sip2Warning[],
  code: Sip2WarningCode,
  message: string,
  position: number,
  field?: string,
): void {
  warnings.push(field === undefined ? { code, message, position } : { code, message, position, field });
}

function failure(
  code: Sip2DecodeError['code'],
  message: string,
  position: number,
  text?: string,
): Sip2DecodeResult<never> {
  return { ok: false, error: new Sip2DecodeError(code, message, position, text) };
}

function enumValue(table: Sip2EnumTable, code: string): Sip2EnumValue {
  return table.byCode.get(code) ?? { code, name: null };
}

/**
 * Decodes one frame (with or without its terminator). Bytes are read in the
 * charset; a string is first encoded in the charset, so its checksum is checked
 * over the same bytes the peer would have summed.
 */
export function decodeSip2Message(
  frame: Uint8Array | string,
  options: Sip2DecodeOptions = {},
): Sip2DecodeResult<AnySip2Message> {
  try {
    return decode(frame, options);
  } catch (error) {
    // Every path above returns; this is a last line against a bug of ours ever crashing a link.
    return failure('sip2_not_a_message', `decoder failed: ${(error as Error).message}`, 0);
  }
}

function decode(frame: Uint8Array | string, options: Sip2DecodeOptions): Sip2DecodeResult<AnySip2Message> {
  const charset = options.charset ?? 'utf-8';
  const bytes = typeof frame === 'string' ? encodeSip2Text(frame, charset) : frame;
  let start = 0;
  let end = bytes.length;
  // Line noise before the message (a stray LF, blanks after the last CR) is no part of it.
  while (
    start < end &&
    (bytes[start] === 10 || bytes[start] === 13 || bytes[start] === SPACE || bytes[start] === TAB)
  )
    start++;
  while (end > start && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--;
  end = withoutTrailingBlanks(bytes, start, end);
  if (end === start) return failure('sip2_empty_frame', 'empty frame', 0);

  // Error detection, read from the bytes: ...AY<d>AZ<hhhh>
  let bodyEnd = end;
  let checksumAt = -1;
  let checksum = -1;
  let sum = 0;
  if (end - start >= 6 && bytes[end - 6] === A && bytes[end - 5] === Z) {
    checksumAt = end - 6;
    checksum = readChecksumHex(bytes, end - 4);
    bodyEnd = end - 6;
    for (let i = start; i < bodyEnd + 2; i++) sum += bytes[i]!;
  }
  let sequence = -1;
  let sequenceAt = -1;
  if (bodyEnd - start >= 3) {
    // Tolerate `AY1|AZ`, and `|AY1|` with no AZ: a delimiter some peers put after the sequence number.
    // Without AZ, take AY only where a field starts — after a delimiter here, right after the fixed
    // fields below — so a value ending in "AY1" is not mistaken for it.
    const at =
      bytes[bodyEnd - 1] === PIPE && bodyEnd - start >= 4 && (checksumAt >= 0 || bytes[bodyEnd - 5] === PIPE)
        ? bodyEnd - 4
        : bodyEnd - 3;
    if (bytes[at] === A && bytes[at + 1] === Y && (checksumAt >= 0 || bytes[at - 1] === PIPE)) {
      sequenceAt = at;
      sequence = bytes[at + 2]! - 48;
      bodyEnd = at;
    }
  }

  if (sequenceAt < 0 && checksumAt >= 0) {
    // AY with more than one digit before AZ (`AY12AZ…`: a peer counting on past 9): the checksum
    // holds the frame whole; its sequence number is none of SIP2's (0–9), read as none with an
    // invalid_sequence warning, never as a field AY left in the message.
    let at = bodyEnd;
    while (at > start && bodyEnd - at < 3 && bytes[at - 1]! >= 48 && bytes[at - 1]! <= 57) at--;
    if (bodyEnd - at >= 2 && at - start >= 4 && bytes[at - 2] === A && bytes[at - 1] === Y) {
      sequenceAt = at - 2;
      bodyEnd = sequenceAt;
    }
  }

  const decoded = decodeSip2Text(bytes, start, bodyEnd, charset);
  let text = decoded.text;
  const warnings: Sip2Warning[] = [];
  if (decoded.lossy) warn(warnings, 'undecodable_bytes', `bytes that are not ${charset}`, 0);

  const c0 = text.charCodeAt(0) - 48;
  const c1 = text.charCodeAt(1) - 48;
  if (!(c0 >= 0 && c0 <= 9 && c1 >= 0 && c1 <= 9)) {
    return failure('sip2_not_a_message', 'a line that is not a SIP2 message', 0, text);
  }
  const compiled = COMPILED_BY_CODE[c0 * 10 + c1];
  if (compiled === undefined) return failure('sip2_unknown_message', 'unknown message code', 0);
  if (text.length < compiled.fixedLength) {
    return failure(
      'sip2_truncated',
      `fixed fields end early (${compiled.fixedLength} characters needed)`,
      text.length,
    );
  }

  // AY with no AZ right after the fixed fields (`9900302.00AY1`) is read as after a `|`: a sequence
  // number whose checksum is absent, not a field of its own; a reader that wants AY and AZ together
  // (the relay, which asks for such a frame again) sees one reading wherever it stood.
  if (
    sequenceAt < 0 &&
    checksumAt < 0 &&
    text.length === compiled.fixedLength + 3 &&
    text.charCodeAt(text.length - 3) === A &&
    text.charCodeAt(text.length - 2) === Y &&
    bytes[bodyEnd - 1]! < 0x80
  ) {
    sequenceAt = bodyEnd - 3;
    sequence = bytes[bodyEnd - 1]! - 48;
    bodyEnd = sequenceAt;
    text = text.slice(0, -3);
  }

  let checksumState: 'valid' | 'invalid' | 'absent' = 'absent';
  if (checksumAt >= 0) {
    checksumState = checksum >= 0 && ((sum + checksum) & 0xffff) === 0 ? 'valid' : 'invalid';
  }
  // Character position of AZ (or of the end) for reports; bytes and characters agree on ASCII frames.
  const tailPosition = checksumAt >= 0 && decoded.ascii ? checksumAt - start : text.length;
  if (
    checksumState === 'invalid' &&
    checksum >= 0 &&
    !decoded.ascii &&
    summedOverCharacters(text, bytes, bodyEnd, checksumAt, checksum)
  ) {
    // A peer that sums the characters it sends, not their bytes (the same sum on ASCII frames):
    // its checksum holds, over what it summed. Read, and said, never asked for again without end.
    checksumState = 'valid';
    warn(warnings, 'checksum_over_characters', 'checksum summed over characters, not bytes', tailPosition);
  }
  if (checksumState === 'invalid') {
    const policy = options.checksumMismatch ?? 'error';
    if (policy === 'error') return failure('sip2_checksum_mismatch', 'checksum does not match', tailPosition);
    if (policy === 'warn') warn(warnings, 'checksum_mismatch', 'checksum does not match', tailPosition);
  } else if (checksumState === 'absent' && options.requireErrorDetection) {
    warn(warnings, 'checksum_missing', 'no AY/AZ error detection', tailPosition);
  }

  // Values by slot (compiled.ts): fixed fields, variable fields, sequence, extraFields; one object at the end.
  const values: unknown[] = new Array(compiled.slotCount);
  const fixedVerbatim = decodeFixed(compiled, text, values, warnings);
  const verbatim = decodeVariable(compiled, text, values, warnings) && fixedVerbatim;

  if (sequenceAt >= 0 && compiled.spec.noSequence !== true) {
    if (sequence >= 0 && sequence <= 9) values[compiled.slotCount - 2] = sequence;
    else warn(warnings, 'invalid_sequence', 'AY is not a digit 0–9', tailPosition);
  }
  const message = compiled.build(values) as AnySip2Message;
  // Verbatim: encoding the message again, in this charset, writes exactly these body bytes (a `|`
  // SIPServer wrote as `&#124;` as an answer's encoder escapes it).
  const body: Sip2VerbatimBody | undefined =
    !verbatim || decoded.lossy || !harmless(warnings) || pipeIn(text, compiled.fixedLength)
      ? undefined
      : { bytes, start, end: bodyEnd, charset, ascii: decoded.ascii };
  // Every result the same shape, verbatim or not.
  return { ok: true, message, warnings, checksum: checksumState, verbatim: body };
}

/**
 * The end of a frame without the spaces and tabs some servers write after its last field or its
 * error detection (`…AY1AZF00D \r`): Koha's and Evergreen's SIPServer strip them, php-sip2 trims
 * them, before the checksum is checked. Only after `AZ` and its four characters, after `|AY<d>` or
 * `AY<d>` right after the fixed fields, or after a `|`, where no value can end: blanks at the end of
 * a value without its `|` stay.
 */
function withoutTrailingBlanks(bytes: Uint8Array, start: number, end: number): number {
  let at = end;
  while (at > start && (bytes[at - 1] === SPACE || bytes[at - 1] === TAB)) at--;
  if (at === end || at === start) return end;
  if (bytes[at - 1] === PIPE) return at;
  if (at - start >= 6 && bytes[at - 6] === A && bytes[at - 5] === Z) return at;
  const digit = bytes[at - 1]! - 48;
  if (at - start >= 4 && digit >= 0 && digit <= 9 && bytes[at - 3] === A && bytes[at - 2] === Y) {
    if (bytes[at - 4] === PIPE) return at;
    // `9900302.00AY1`: AY right after the fixed fields, where no value can hold it either.
    const c0 = bytes[start]! - 48;
    const c1 = bytes[start + 1]! - 48;
    const compiled = c0 >= 0 && c0 <= 9 && c1 >= 0 && c1 <= 9 ? COMPILED_BY_CODE[c0 * 10 + c1] : undefined;
    if (compiled !== undefined && at - start === compiled.fixedLength + 3) return at;
  }
  return end;
}

/**
 * Whether `checksum` is that of a peer summing characters (UTF-16 code units) rather than bytes:
 * the text through its body, then the ASCII `AY<d>AZ` between `bodyEnd` and the checksum.
 */
function summedOverCharacters(
  text: string,
  bytes: Uint8Array,
  bodyEnd: number,
  checksumAt: number,
  checksum: number,
): boolean {
  let sum = checksum;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  for (let i = bodyEnd; i < checksumAt + 2; i++) sum += bytes[i]!;
  return (sum & 0xffff) === 0;
}

/**
 * The fixed fields into `values`; returns whether each is written as the encoder
 * writes it (upper-case flags, digits unpadded by blanks, blank dates all blanks…).
 */
function decodeFixed(
  compiled: CompiledMessage,
  text: string,
  values: unknown[],
  warnings: Sip2Warning[],
): boolean {
  let verbatim = true;
  const fixed = compiled.fixed;
  for (let slot = 0; slot < fixed.length; slot++) {
    const field = fixed[slot]!;
    const at = field.offset;
    const width = field.width;
    switch (field.kind) {
      case 'bit': {
        const c = text.charCodeAt(at);
        values[slot] = c === 49 || c === 89 || c === 121;
        if (c !== 49 && c !== 48)
          warn(warnings, 'invalid_flag', `${field.name} is not 1 or 0`, at, field.name);
        break;
      }
      case 'flag': {
        const c = text.charCodeAt(at);
        if (c === 89 || c === 121) values[slot] = true;
        else {
          values[slot] = false;
          if (c !== 78 && c !== 110)
            warn(warnings, 'invalid_flag', `${field.name} is not Y or N`, at, field.name);
        }
        if (c !== 89 && c !== 78) verbatim = false;
        break;
      }
      case 'ynu': {
        const c = text.charCodeAt(at);
        if (c === 89 || c === 121) values[slot] = true;
        else if (c === 78 || c === 110) values[slot] = false;
        else {
          values[slot] = 'unknown';
          if (c !== 85 && c !== 117)
            warn(warnings, 'invalid_flag', `${field.name} is not Y, N or U`, at, field.name);
        }
        if (c !== 89 && c !== 78 && c !== 85) verbatim = false;
        break;
      }
      case 'char':
      case 'text':
        values[slot] = width === 1 ? text[at] : text.slice(at, at + width);
        break;
      case 'digits': {
        let value = 0;
        let blank = true;
        let valid = true;
        let blanks = false;
        for (let i = at; i < at + width; i++) {
          const c = text.charCodeAt(i);
          if (c !== 32) blank = false;
          else blanks = true;
          const d = c - 48;
          if (d >= 0 && d <= 9) value = value * 10 + d;
          else if (c !== 32) valid = false;
        }
        if (blank && field.blank) values[slot] = null;
        else {
          if (blanks) verbatim = false;
          if (!valid || blank)
            warn(warnings, 'invalid_digits', `${field.name} is not a number`, at, field.name);
          values[slot] = valid && !blank ? value : field.blank ? null : 0;
        }
        break;
      }
      case 'date18': {
        const value = text.slice(at, at + width);
        if (field.blank && value.trim() === '') {
          values[slot] = null;
          if (value !== BLANK_DATE) verbatim = false;
        } else {
          if (!isSip2DateShape(value)) {
            warn(warnings, 'free_form_date', `${field.name} is not a SIP2 date`, at, field.name);
            // The encoder writes a fixed date only in the SIP2 shape.
            verbatim = false;
          }
          values[slot] = value;
        }
        break;
      }
      case 'enum': {
        const code = width === 1 ? text[at]! : text.slice(at, at + width);
        const value = enumValue(field.enumTable!, code);
        if (value.name === null)
          warn(warnings, 'unknown_enum_value', `${field.name} has an unknown code`, at, field.name);
        values[slot] = value;
        break;
      }
      case 'patronStatus': {
        const { flags, invalidAt } = decodeFlags(PATRON_STATUS_FLAGS, text, at);
        if (invalidAt >= 0)
          warn(warnings, 'invalid_flag', 'a patron status flag is not Y or blank', invalidAt, field.name);
        values[slot] = flags;
        // Written Y or blank: an N (read as false) would come out a blank.
        if (!onlyChars(text, at, width, 89, 32)) verbatim = false;
        break;
      }
      case 'summary': {
        const { summary, yes } = decodeSummary(text, at);
        if (yes > 1) warn(warnings, 'summary_several', 'summary asks for more than one list', at, field.name);
        values[slot] = summary;
        if (text.slice(at, at + width) !== encodeSummary(summary)) verbatim = false;
        break;
      }
    }
  }
  return verbatim;
}

const BLANK_DATE = ' '.repeat(SIP2_DATE_LENGTH);

/**
 * The variable fields into `values`; returns whether the encoder would write them
 * back as they came: in the spec's order, unknown ones after the known, each
 * within 255 characters, flags upper-case.
 */
function decodeVariable(
  compiled: CompiledMessage,
  text: string,
  values: unknown[],
  warnings: Sip2Warning[],
): boolean {
  const length = text.length;
  const byIndex = compiled.byIndex;
  const firstSlot = compiled.fixed.length;
  let extra: Sip2ExtraField[] | undefined;
  /** Flags said both Y and N. */
  let contradicted: CompiledField[] | undefined;
  let pos = compiled.fixedLength;
  let verbatim = true;
  /** Slot of the last known field read; past the last one once an unknown field was read. */
  let lastSlot = firstSlot - 1;
  while (pos < length) {
    const c1 = text.charCodeAt(pos);
    if (c1 === PIPE) {
      warn(warnings, 'empty_field_id', 'a | with no field before it', pos);
      pos++;
      continue;
    }
    if (pos + 1 >= length) {
      warn(warnings, 'trailing_text', 'text after the last field', pos);
      break;
    }
    const c2 = text.charCodeAt(pos + 1);
    let bar = text.indexOf('|', pos + 2);
    // SIP2 has no escape: a `|` inside a value (a title "Tintin | Tibet", a PIN typed with one) is
    // read as part of it where what follows cannot start a field (two letters or digits, of either
    // case: vendors' ids such as "Zq" too). Koha and Evergreen split there and drop the rest as a
    // field they do not know; nothing is dropped here.
    while (bar >= 0 && strayDelimiter(text, bar)) {
      warn(warnings, 'delimiter_in_value', 'a | inside a value', bar);
      verbatim = false;
      bar = text.indexOf('|', bar + 1);
    }
    let value: string;
    if (bar < 0) {
      value = text.slice(pos + 2);
      warn(warnings, 'missing_delimiter', 'the last field has no |', length);
      bar = length;
    } else {
      value = text.slice(pos + 2, bar);
    }
    // SIPServer (Koha, Evergreen) writes a `|` inside a value as `&#124;`: read as the `|` it stands
    // for ("TINTIN&#124;TIBET" is the title TINTIN|TIBET). The bytes are kept as they came.
    if (value.includes(ESCAPED_PIPE)) value = value.replaceAll(ESCAPED_PIPE, '|');
    const field: CompiledField | undefined = byIndex[FIELD_INDEX_BY_SLOT[fieldSlot(c1, c2)] ?? 0];
    if (bar - pos - 2 > MAX_FIELD_LENGTH) verbatim = false;
    if (field === undefined) {
      if (extra === undefined) extra = [];
      extra.push({ id: text.slice(pos, pos + 2), value });
      lastSlot = firstSlot + compiled.fields.length;
      if (!isAlnum(c1) || !isAlnum(c2) || (c1 === A && (c2 === Y || c2 === Z))) verbatim = false;
    } else if (field.repeatable) {
      const list = values[field.slot] as string[] | undefined;
      if (list === undefined) values[field.slot] = [value];
      else list.push(value);
    } else if (
      values[field.slot] !== undefined &&
      field.kind === 'flag' &&
      fieldValue(field, value, pos, []) !== values[field.slot]
    ) {
      // A Y/N said twice, both ways (a value with a `|` in it split where what follows looked like
      // BL or CQ: a name "Ann|CQY"): no one can tell which the ILS meant, so it is read as N — never a
      // patron or PIN taken as valid, a fee as acknowledged or a checkout as cancelled on a guess —
      // and written once, N.
      warn(
        warnings,
        'repeated_field',
        `${field.name} (${field.id}) said Y and N: read as N`,
        pos,
        field.name,
      );
      if (contradicted === undefined) contradicted = [];
      contradicted.push(field);
      verbatim = false;
    } else if (values[field.slot] !== undefined) {
      warn(
        warnings,
        'repeated_field',
        `${field.name} (${field.id}) repeated; the first is kept`,
        pos,
        field.name,
      );
      if (extra === undefined) extra = [];
      extra.push({ id: field.id, value });
    } else {
      values[field.slot] = fieldValue(field, value, pos, warnings);
      if (field.kind === 'flag' && value !== 'Y' && value !== 'N') verbatim = false;
      else if (field.kind === 'supportedMessages' && !onlyChars(value, 0, value.length, 89, 78))
        verbatim = false;
    }
    if (field !== undefined) {
      // Written in the spec's order, a repeatable field's entries together.
      if (field.slot < lastSlot || (field.slot === lastSlot && !field.repeatable)) verbatim = false;
      lastSlot = field.slot;
    }
    pos = bar + 1;
  }
  if (contradicted !== undefined) {
    for (const field of contradicted) values[field.slot] = false;
    extra = extra?.filter((field) => !contradicted.some((flag) => flag.id === field.id));
  }
  if (extra !== undefined && extra.length > 0) values[compiled.slotCount - 1] = extra;
  for (const field of compiled.required) {
    if (values[field.slot] === undefined) {
      warn(warnings, 'missing_required_field', `${field.name} (${field.id}) is missing`, length, field.name);
      values[field.slot] = emptyValue(field);
    }
  }
  return verbatim;
}

/**
 * Whether the `|` at `bar` is inside a value rather than after it: two or more characters follow
 * and they do not start with a field id nor an empty field (`||`). A field id is two characters:
 * SIP2's are upper-case letters, the vendors' (Z…, X…, P…, a Koha custom field) letters of either
 * case or digits ("Zq"), and Koha's, Evergreen's and php-sip2's readers take any two after a `|` as
 * one, their servers writing a `|` in a value as `&#124;`. So "TINTIN|TIBET" and "Tintin|Tibet"
 * are a title and a field TI or Ti, as those ILSes read them; "Tintin | Tibet" and "12|4" are values.
 */
function strayDelimiter(text: string, bar: number): boolean {
  if (bar + 2 >= text.length) return false;
  const c1 = text.charCodeAt(bar + 1);
  if (c1 === PIPE) return false;
  return !(isFieldIdChar(c1) && isFieldIdChar(text.charCodeAt(bar + 2)));
}

/** A letter (either case) or a digit: what a field id is written with. */
function isFieldIdChar(c: number): boolean {
  return isAlnum(c);
}

function fieldValue(field: CompiledField, value: string, pos: number, warnings: Sip2Warning[]): unknown {
  switch (field.kind) {
    case 'text':
      return value;
    case 'flag': {
      const c = value.charCodeAt(0);
      if (value.length !== 1 || (c !== 89 && c !== 121 && c !== 78 && c !== 110)) {
        warn(warnings, 'invalid_flag', `${field.name} is not Y or N`, pos + 2, field.name);
      }
      return c === 89 || c === 121;
    }
    case 'date':
      // Empty is no date (AH on a refused checkout), not a free-form one.
      if (value !== '' && !isSip2DateShape(value))
        warn(warnings, 'free_form_date', `${field.name} is not a SIP2 date`, pos + 2, field.name);
      return value;
    case 'enum': {
      const decoded = enumValue(field.enumTable!, value);
      if (decoded.name === null)
        warn(warnings, 'unknown_enum_value', `${field.name} has an unknown code`, pos + 2, field.name);
      return decoded;
    }
    case 'supportedMessages': {
      const { flags, invalidAt } = decodeFlags(SUPPORTED_MESSAGE_FLAGS, value.padEnd(16, 'N'), 0);
      if (invalidAt >= 0 || value.length !== 16) {
        warn(warnings, 'invalid_flag', `${field.name} is not 16 Y/N flags`, pos + 2, field.name);
      }
      return flags;
    }
  }
}

function emptyValue(field: CompiledField): unknown {
  if (field.repeatable) return [];
  switch (field.kind) {
    case 'flag':
      return false;
    case 'enum':
      return { code: '', name: null };
    case 'supportedMessages':
      return decodeFlags(SUPPORTED_MESSAGE_FLAGS, 'NNNNNNNNNNNNNNNN', 0).flags;
    default:
      return '';
  }
}
