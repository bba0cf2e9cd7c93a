/**
 * The IPP/2.x message encoding (RFC 8010 §3): a version, an operation id or
 * status code, a request id, attribute groups, the end-of-attributes tag, then
 * the document data. Pure and symmetric: `encodeIpp(decodeIpp(bytes))` gives
 * the same bytes for everything a server or client sends (tested on CUPS's own
 * traffic). Every length is checked against what is left, collections nest at
 * most 16 deep, and a message holds at most 20,000 values, so hostile bytes are
 * refused with an IppError, never a hang or a crash.
 */
import {
  type IppAttribute,
  type IppCollection,
  type IppDateTime,
  IppError,
  type IppGroup,
  type IppLanguageString,
  type IppMessage,
  type IppRange,
  type IppResolution,
  type IppTaggedValue,
  type IppValue,
} from './message.js';
import { GROUP, TAG } from './tags.js';

const MAX_VALUES = 20_000;
const MAX_DEPTH = 16;

const STRING_TAGS = new Set<number>([
  TAG.textWithoutLanguage,
  TAG.nameWithoutLanguage,
  TAG.keyword,
  TAG.uri,
  TAG.uriScheme,
  TAG.charset,
  TAG.naturalLanguage,
  TAG.mimeMediaType,
  TAG.memberAttrName,
]);

class Reader {
  offset = 0;
  values = 0;
  /** The same bytes as a Buffer (no copy), so a string is decoded where it lies. */
  private readonly view: Buffer;
  constructor(readonly bytes: Uint8Array) {
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get left(): number {
    return this.bytes.length - this.offset;
  }
  need(count: number, what: string): void {
    if (count > this.left) throw new IppError('ipp_truncated', `message ends inside ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const value = ((this.bytes[this.offset] as number) << 8) | (this.bytes[this.offset + 1] as number);
    this.offset += 2;
    return value;
  }
  i32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return (
      ((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)
    );
  }
  slice(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
  text(count: number, what: string): string {
    this.need(count, what);
    const text = this.view.toString('utf8', this.offset, this.offset + count);
    this.offset += count;
    return text;
  }
  peek(): number | undefined {
    return this.bytes[this.offset];
  }
}

/** Decodes one IPP message (request or response). Throws IppError on bytes that are not one. */
export function decodeIpp(bytes: Uint8Array): IppMessage {
  const reader = new Reader(bytes);
  const major = reader.u8('the version');
  const minor = reader.u8('the version');
  const code = reader.u16('the operation or status code');
  const requestId = reader.i32('the request id');
  const groups: IppGroup[] = [];
  let group: IppGroup | undefined;
  for (;;) {
    const tag = reader.u8('the attributes');
    if (tag === GROUP.end) break;
    if (tag < 0x10) {
      if (tag === 0x00) throw new IppError('ipp_malformed', 'reserved delimiter tag 0x00');
      group = { tag, attributes: [] };
      groups.push(group);
      continue;
    }
    if (!group) throw new IppError('ipp_malformed', 'an attribute before any attribute group');
    readAttributeValue(reader, tag, group.attributes, 0);
  }
  return {
    version: { major, minor },
    code,
    requestId,
    groups,
    data: Uint8Array.from(reader.slice(reader.left, 'the data')),
  };
}

/** Reads one value (the value tag already read) into `attributes`: a new attribute, or another value of the last. */
function readAttributeValue(reader: Reader, tag: number, attributes: IppAttribute[], depth: number): void {
  const name = reader.text(reader.u16('a name length'), 'an attribute name');
  const value = readValue(reader, tag, depth);
  if (++reader.values > MAX_VALUES) throw new IppError('ipp_too_large', `more than ${MAX_VALUES} values`);
  const tagged: IppTaggedValue = { tag, value };
  if (name === '') {
    const last = attributes[attributes.length - 1];
    if (!last) throw new IppError('ipp_malformed', 'an additional value without an attribute');
    last.values.push(tagged);
  } else {
    attributes.push({ name, values: [tagged] });
  }
}

function readValue(reader: Reader, tag: number, depth: number): IppValue {
  const length = reader.u16('a value length');
  const what = 'a value';
  if (tag === TAG.begCollection) {
    reader.slice(length, what);
    return readCollection(reader, depth + 1);
  }
  if (tag >= TAG.unsupported && tag <= 0x1f) {
    // Out-of-band values carry no value (RFC 8010 §3.8); any bytes there are skipped.
    reader.slice(length, what);
    return null;
  }
  switch (tag) {
    case TAG.integer:
    case TAG.enum:
      if (length !== 4) throw new IppError('ipp_malformed', `an integer of ${length} bytes`);
      return reader.i32(what);
    case TAG.boolean:
      if (length !== 1) throw new IppError('ipp_malformed', `a boolean of ${length} bytes`);
      return reader.u8(what) !== 0;
    case TAG.rangeOfInteger:
      if (length !== 8) throw new IppError('ipp_malformed', `a rangeOfInteger of ${length} bytes`);
      return { lower: reader.i32(what), upper: reader.i32(what) } satisfies IppRange;
    case TAG.resolution:
      if (length !== 9) throw new IppError('ipp_malformed', `a resolution of ${length} bytes`);
      return { x: reader.i32(what), y: reader.i32(what), units: reader.u8(what) } satisfies IppResolution;
    case TAG.dateTime:
      if (length !== 11) throw new IppError('ipp_malformed', `a dateTime of ${length} bytes`);
      return readDateTime(reader);
    case TAG.textWithLanguage:
    case TAG.nameWithLanguage:
      return readLanguageString(reader, length);
    case TAG.octetString:
      return Uint8Array.from(reader.slice(length, what));
    default:
      if (STRING_TAGS.has(tag)) return reader.text(length, what);
      // A syntax Carrel does not know (or an extension, 0x7F): its bytes, as sent.
      return Uint8Array.from(reader.slice(length, what));
  }
}

function readDateTime(reader: Reader): IppDateTime {
  const what = 'a dateTime';
  const year = reader.u16(what);
  const [month, day, hour, minutes, seconds, deciseconds] = [0, 0, 0, 0, 0, 0].map(() => reader.u8(what)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const direction = String.fromCharCode(reader.u8(what));
  if (direction !== '+' && direction !== '-')
    throw new IppError('ipp_malformed', 'a dateTime without + or -');
  return {
    year,
    month,
    day,
    hour,
    minutes,
    seconds,
    deciseconds,
    direction,
    utcHours: reader.u8(what),
    utcMinutes: reader.u8(what),
  };
}

function readLanguageString(reader: Reader, length: number): IppLanguageString {
  const start = reader.offset;
  reader.need(length, 'a string with language');
  const language = reader.text(reader.u16('a language length'), 'a language');
  const text = reader.text(reader.u16('a text length'), 'a text');
  if (reader.offset - start !== length)
    throw new IppError('ipp_malformed', 'a string with language of the wrong length');
  return { language, text };
}

function readCollection(reader: Reader, depth: number): IppCollection {
  if (depth > MAX_DEPTH)
    throw new IppError('ipp_too_large', `collections nested more than ${MAX_DEPTH} deep`);
  const members: IppAttribute[] = [];
  for (;;) {
    const tag = reader.u8('a collection');
    if (tag === TAG.endCollection) {
      reader.slice(reader.u16('an end of collection'), 'an end of collection');
      reader.slice(reader.u16('an end of collection'), 'an end of collection');
      return { members };
    }
    if (tag === TAG.memberAttrName) {
      reader.slice(reader.u16('a member name'), 'a member name');
      const name = reader.text(reader.u16('a member name'), 'a member name');
      if (name === '') throw new IppError('ipp_malformed', 'a collection member without a name');
      const valueTag = reader.u8('a member value');
      if (valueTag < 0x10) throw new IppError('ipp_malformed', 'a delimiter inside a collection');
      const nameLength = reader.u16('a member value');
      if (nameLength !== 0) throw new IppError('ipp_malformed', 'a named value inside a collection');
      const value = readValue(reader, valueTag, depth);
      members.push({ name, values: [{ tag: valueTag, value }] });
      continue;
    }
    if (tag < 0x10) throw new IppError('ipp_malformed', 'a delimiter inside a collection');
    // Another value of the last member (a 1setOf inside a collection).
    const nameLength = reader.u16('a member value');
    if (nameLength !== 0) throw new IppError('ipp_malformed', 'a named value inside a collection');
    const last = members[members.length - 1];
    if (!last) throw new IppError('ipp_malformed', 'a collection value without a member name');
    last.values.push({ tag, value: readValue(reader, tag, depth) });
  }
}

// ---------------------------------------------------------------- encoding

/**
 * Writes into one buffer, grown as needed: a request is a few hundred bytes of small fields, and
 * a buffer made for each of them (as before 2026-12-07) cost the print queue's poll ~70 of them a
 * request, twice a second at an idle desk.
 */
class Writer {
  private buffer = Buffer.allocUnsafe(512);
  private length = 0;
  private room(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + count));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
  u8(value: number): void {
    this.room(1);
    this.buffer[this.length++] = value & 0xff;
  }
  u16(value: number): void {
    this.room(2);
    this.length = this.buffer.writeUInt16BE(value & 0xffff, this.length);
  }
  i32(value: number): void {
    this.room(4);
    this.length = this.buffer.writeInt32BE(value | 0, this.length);
  }
  /** A length-prefixed string or byte string. */
  counted(value: Uint8Array | string): void {
    if (typeof value === 'string' && this.ascii(value)) return;
    const size = valueSize(typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length);
    this.u16(size);
    this.room(size);
    if (typeof value === 'string') this.buffer.write(value, this.length, size, 'utf8');
    else this.buffer.set(value, this.length);
    this.length += size;
  }
  /** Writes `text` counted when it is short ASCII (names, keywords, URIs: nearly all); false when not. */
  private ascii(text: string): boolean {
    if (text.length > 255) return false;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
    this.u16(text.length);
    this.room(text.length);
    for (let i = 0; i < text.length; i++) this.buffer[this.length + i] = text.charCodeAt(i);
    this.length += text.length;
    return true;
  }
  /** What was written, then `data` (a document may be large: it is copied once, not grown into). */
  done(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(this.length + data.length);
    this.buffer.copy(out, 0, 0, this.length);
    out.set(data, this.length);
    return out;
  }
}

/** `size`, the bytes of one value, when its two-byte length can say it. */
function valueSize(size: number): number {
  if (size > 0xffff) throw new RangeError(`an IPP value of ${size} bytes (at most 65535)`);
  return size;
}

/** Encodes one IPP message. Throws RangeError for a value its syntax cannot carry (our bug, not the peer's). */
export function encodeIpp(message: IppMessage): Buffer {
  const writer = new Writer();
  writer.u8(message.version.major);
  writer.u8(message.version.minor);
  writer.u16(message.code);
  writer.i32(message.requestId);
  for (const group of message.groups) {
    writer.u8(group.tag);
    for (const attribute of group.attributes) {
      for (let i = 0; i < attribute.values.length; i++) {
        const value = attribute.values[i] as IppTaggedValue;
        writer.u8(value.tag);
        writer.counted(i === 0 ? attribute.name : '');
        writeValue(writer, value);
      }
    }
  }
  writer.u8(GROUP.end);
  return writer.done(message.data);
}

function writeValue(writer: Writer, { tag, value }: IppTaggedValue): void {
  if (tag === TAG.begCollection) {
    writer.u16(0);
    writeCollection(writer, value as IppCollection);
    return;
  }
  if (value === null) {
    writer.u16(0);
    return;
  }
  switch (tag) {
    case TAG.integer:
    case TAG.enum:
      writer.u16(4);
      writer.i32(value as number);
      return;
    case TAG.boolean:
      writer.u16(1);
      writer.u8(value ? 1 : 0);
      return;
    case TAG.rangeOfInteger: {
      const range = value as IppRange;
      writer.u16(8);
      writer.i32(range.lower);
      writer.i32(range.upper);
      return;
    }
    case TAG.resolution: {
      const resolution = value as IppResolution;
      writer.u16(9);
      writer.i32(resolution.x);
      writer.i32(resolution.y);
      writer.u8(resolution.units);
      return;
    }
    case TAG.dateTime: {
      const d = value as IppDateTime;
      writer.u16(11);
      writer.u16(d.year);
      for (const field of [d.month, d.day, d.hour, d.minutes, d.seconds, d.deciseconds]) writer.u8(field);
      writer.u8(d.direction.charCodeAt(0));
      writer.u8(d.utcHours);
      writer.u8(d.utcMinutes);
      return;
    }
    case TAG.textWithLanguage:
    case TAG.nameWithLanguage: {
      const { language, text } = value as IppLanguageString;
      const languageSize = valueSize(Buffer.byteLength(language, 'utf8'));
      const textSize = valueSize(Buffer.byteLength(text, 'utf8'));
      writer.u16(valueSize(4 + languageSize + textSize));
      writer.counted(language);
      writer.counted(text);
      return;
    }
    default:
      writer.counted(value as string | Uint8Array);
  }
}

function writeCollection(writer: Writer, collection: IppCollection): void {
  for (const member of collection.members) {
    for (let i = 0; i < member.values.length; i++) {
      const value = member.values[i] as IppTaggedValue;
      if (i === 0) {
        writer.u8(TAG.memberAttrName);
        writer.u16(0);
        writer.counted(member.name);
      }
      writer.u8(value.tag);
      writer.u16(0);
      writeValue(writer, value);
    }
  }
  writer.u8(TAG.endCollection);
  writer.u16(0);
  writer.u16(0);
}
