/**
 * ISO/IEC 15962 compaction of one data element's value: integer, numeric, 5-bit, 6-bit, 7-bit,
 * octet and UTF-8, plus the 7-bit-group length encoding. `compact` picks the most compact
 * scheme that gives the same text back, as the standard's encoder does.
 */

/** Compaction codes as written in bits 6..4 of a precursor. */
export const COMPACTION_CODES = {
  application: 0,
  integer: 1,
  numeric: 2,
  '5-bit': 3,
  '6-bit': 4,
  '7-bit': 5,
  octet: 6,
  'utf-8': 7,
} as const;

export type Compaction = keyof typeof COMPACTION_CODES;

export const COMPACTION_BY_CODE: readonly Compaction[] = [
  'application',
  'integer',
  'numeric',
  '5-bit',
  '6-bit',
  '7-bit',
  'octet',
  'utf-8',
];

/** Thrown inside this module only; callers turn it into a typed result. */
export class CompactionError extends Error {}

// ---- length: 7-bit groups, most significant first, high bit = more follows ----

export function encodeLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new CompactionError('length must be a natural number');
  const groups: number[] = [length & 0x7f];
  let rest = Math.floor(length / 128);
  while (rest > 0) {
    groups.unshift((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  return Uint8Array.from(groups);
}

/** Reads a length at `offset`; `undefined` if it runs off the end or is absurdly long. */
export function decodeLength(
  bytes: Uint8Array,
  offset: number,
): { length: number; size: number } | undefined {
  let length = 0;
  for (let i = 0; i < 4; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    length = length * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return { length, size: i + 1 };
  }
  return undefined;
}

// ---- integer: big-endian unsigned binary, no leading zero digits ----

const INTEGER_TEXT = /^(0|[1-9][0-9]*)$/;

function encodeInteger(text: string): Uint8Array | undefined {
  if (!INTEGER_TEXT.test(text)) return undefined;
  let value = BigInt(text);
  const out: number[] = [];
  do {
    out.unshift(Number(value & 0xffn));
    value >>= 8n;
  } while (value > 0n);
  return Uint8Array.from(out);
}

function decodeInteger(data: Uint8Array): string {
  if (data.length === 0) throw new CompactionError('integer with no bytes');
  if (data.length <= 6) {
    let value = 0;
    for (const byte of data) value = value * 256 + byte;
    return String(value);
  }
  let value = 0n;
  for (const byte of data) value = (value << 8n) | BigInt(byte);
  return value.toString();
}

// ---- numeric: one digit per nibble, odd counts padded with 0xF ----

function encodeNumeric(text: string): Uint8Array | undefined {
  if (!/^[0-9]*$/.test(text)) return undefined;
  const out = new Uint8Array(Math.ceil(text.length / 2));
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    out[i >> 1]! |= i % 2 === 0 ? digit << 4 : digit;
  }
  if (text.length % 2 === 1) out[out.length - 1]! |= 0x0f;
  return out;
}

function decodeNumeric(data: Uint8Array): string {
  let text = '';
  for (let i = 0; i < data.length * 2; i++) {
    const nibble = i % 2 === 0 ? data[i >> 1]! >> 4 : data[i >> 1]! & 0x0f;
    if (nibble <= 9) text += String.fromCharCode(0x30 + nibble);
    else if (nibble === 0x0f && i === data.length * 2 - 1) break;
    else throw new CompactionError('numeric compaction holds a nibble that is not a digit');
  }
  return text;
}

// ---- 5-, 6- and 7-bit codes, packed MSB first, pad bits from a fixed pattern ----

interface BitCode {
  readonly width: number;
  /** The code of a character, or -1 when the character is outside the set. */
  codeOf(char: number): number;
  charOf(code: number): number;
  /** The pattern the unused bits of the last byte are taken from (its leading bits). */
  readonly pad: number;
}

const FIVE_BIT: BitCode = {
  width: 5,
  codeOf: (c) => (c >= 0x41 && c <= 0x5f ? c & 0x1f : -1),
  charOf: (code) => 0x40 | code,
  pad: 0b00000,
};

const SIX_BIT: BitCode = {
  width: 6,
  codeOf: (c) => (c >= 0x20 && c <= 0x5f ? c & 0x3f : -1),
  charOf: (code) => (code < 0x20 ? 0x40 | code : code),
  pad: 0b100000,
};

const SEVEN_BIT: BitCode = {
  width: 7,
  codeOf: (c) => (c <= 0x7f ? c : -1),
  charOf: (code) => code,
  pad: 0,
};

function packBits(text: string, code: BitCode): Uint8Array | undefined {
  const bits = text.length * code.width;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let position = 0;
  const put = (value: number, width: number) => {
    for (let b = width - 1; b >= 0; b--) {
      if ((value >> b) & 1) out[position >> 3]! |= 0x80 >> (position & 7);
      position++;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const value = code.codeOf(text.charCodeAt(i));
    if (value < 0) return undefined;
    put(value, code.width);
  }
  const padBits = out.length * 8 - bits;
  if (padBits > 0) put(code.pad >> (code.width - padBits), padBits);
  return out;
}

function unpackBits(data: Uint8Array, code: BitCode): string {
  const total = data.length * 8;
  let count = Math.floor(total / code.width);
  // A last code made only of pad bits is padding, not a character.
  if (count > 0 && Math.ceil(((count - 1) * code.width) / 8) === data.length) {
    const lastStart = (count - 1) * code.width;
    if (readBits(data, lastStart, code.width) === code.pad) count--;
  }
  let text = '';
  for (let i = 0; i < count; i++)
    text += String.fromCharCode(code.charOf(readBits(data, i * code.width, code.width)));
  return text;
}

export function readBits(data: Uint8Array, start: number, width: number): number {
  let value = 0;
  for (let i = start; i < start + width; i++) value = (value << 1) | ((data[i >> 3]! >> (7 - (i & 7))) & 1);
  return value;
}

// ---- octet (ISO/IEC 8859-1) and UTF-8 ----

function encodeOctet(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return undefined;
    out[i] = c;
  }
  return out;
}

function decodeOctet(data: Uint8Array): string {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return text;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(data: Uint8Array): string {
  try {
    return utf8Decoder.decode(data);
  } catch {
    throw new CompactionError('UTF-8 compaction holds invalid UTF-8');
  }
}

// ---- dispatch ----

/** Compacts `text` with one scheme; `undefined` when the text is outside that scheme's set. */
export function compactAs(
  compaction: Exclude<Compaction, 'application'>,
  text: string,
): Uint8Array | undefined {
  switch (compaction) {
    case 'integer':
      return encodeInteger(text);
    case 'numeric':
      return encodeNumeric(text);
    case '5-bit':
      return packBits(text, FIVE_BIT);
    case '6-bit':
      return packBits(text, SIX_BIT);
    case '7-bit':
      return packBits(text, SEVEN_BIT);
    case 'octet':
      return encodeOctet(text);
    case 'utf-8':
      return utf8Encoder.encode(text);
  }
}

/** Expands compacted data to text. Throws CompactionError on data the scheme cannot hold. */
export function expand(compaction: Exclude<Compaction, 'application'>, data: Uint8Array): string {
  switch (compaction) {
    case 'integer':
      return decodeInteger(data);
    case 'numeric':
      return decodeNumeric(data);
    case '5-bit':
      return unpackBits(data, FIVE_BIT);
    case '6-bit':
      return unpackBits(data, SIX_BIT);
    case '7-bit':
      return unpackBits(data, SEVEN_BIT);
    case 'octet':
      return decodeOctet(data);
    case 'utf-8':
      return decodeUtf8(data);
  }
}

const PREFERENCE: ReadonlyArray<Exclude<Compaction, 'application'>> = [
  'integer',
  'numeric',
  '5-bit',
  '6-bit',
  '7-bit',
  'octet',
  'utf-8',
];

/**
 * The most compact scheme for `text`: fewest bytes, ties to the simpler scheme (integer before
 * numeric before 5-bit …), and only schemes that give `text` back unchanged.
 */
export function compact(text: string): { compaction: Exclude<Compaction, 'application'>; data: Uint8Array } {
  let best: { compaction: Exclude<Compaction, 'application'>; data: Uint8Array } | undefined;
  for (const compaction of PREFERENCE) {
    const data = compactAs(compaction, text);
    if (!data || (best && data.length >= best.data.length)) continue;
    if (!roundTrips(compaction, data, text)) continue;
    best = { compaction, data };
  }
  // UTF-8 always round-trips well-formed strings; lone surrogates do not.
  if (!best) throw new CompactionError('text cannot be compacted');
  return best;
}

function roundTrips(compaction: Exclude<Compaction, 'application'>, data: Uint8Array, text: string): boolean {
  try {
    return expand(compaction, data) === text;
  } catch {
    return false;
  }
}
