/**
 * Text ↔ bytes in a connection's charset. SIP2 servers use ASCII (often with the
 * diacritics stripped), UTF-8, ISO-8859-1 or IBM850 (edge-sip2's default); the
 * checksum is computed over the bytes these functions produce.
 */

import iconv from 'iconv-lite';

export type Sip2Charset = 'ascii' | 'utf-8' | 'iso-8859-1' | 'ibm850';
export const SIP2_CHARSETS: readonly Sip2Charset[] = ['ascii', 'utf-8', 'iso-8859-1', 'ibm850'];

/** Letters that do not decompose into a base letter plus marks. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ı: 'i',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u00a0': ' ',
  '\u2026': '...',
  '€': 'EUR',
};

/** Replaces what the charset cannot carry: diacritics stripped (Zoë → Zoe), the rest becomes `?`. */
export function transliterate(text: string, maxCode: 0x7f | 0xff): string {
  return foldTo(text, (code) => code <= maxCode);
}

/** The characters IBM850 has: its 256 bytes decoded. */
const CP850_CHARACTERS: ReadonlySet<number> = new Set(
  Array.from(
    iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)), 'cp850'),
    (ch) => ch.codePointAt(0)!,
  ),
);

/** Whether IBM850 carries every character of `text` as it is. */
function fitsCp850(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!CP850_CHARACTERS.has(text.charCodeAt(i))) return false;
  return true;
}

/**
 * `text` with each character the charset lacks (`fits` false for its code point) replaced: by its
 * transliteration (€ → EUR), else by the letter without its marks (Č → C), else `?`.
 */
function foldTo(text: string, fits: (code: number) => boolean): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (fits(code)) {
      out += ch;
      continue;
    }
    const mapped = TRANSLITERATIONS[ch];
    if (mapped !== undefined) {
      out += mapped;
      continue;
    }
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    let all = base.length > 0;
    for (let i = 0; i < base.length; i++) if (!fits(base.charCodeAt(i))) all = false;
    out += all ? base : '?';
  }
  return out;
}

export function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The text as the charset carries it: what it lacks transliterated or `?` (€ → EUR on ASCII), so
 * its length is the number of characters on the wire. UTF-8 carries every text as it is.
 */
export function foldSip2Text(text: string, charset: Sip2Charset): string {
  if (charset === 'utf-8' || isAsciiText(text)) return text;
  if (charset === 'ascii') return transliterate(text, 0x7f);
  if (charset === 'iso-8859-1') return transliterate(text, 0xff);
  return fitsCp850(text) ? text : foldTo(text, (code) => CP850_CHARACTERS.has(code));
}

/** Encodes text for the wire. Never throws: characters the charset lacks are transliterated or `?`. */
export function encodeSip2Text(text: string, charset: Sip2Charset): Buffer {
  if (isAsciiText(text)) return Buffer.from(text, 'latin1');
  switch (charset) {
    case 'ascii':
      return Buffer.from(transliterate(text, 0x7f), 'latin1');
    case 'iso-8859-1':
      return Buffer.from(transliterate(text, 0xff), 'latin1');
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'ibm850':
      // iconv writes `?` for what IBM850 lacks: folded first, as on an ISO-8859-1 link (Č → C, € → EUR).
      return iconv.encode(
        fitsCp850(text) ? text : foldTo(text, (code) => CP850_CHARACTERS.has(code)),
        'cp850',
      );
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

interface NodeBufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}
/** Buffer's own slicers, skipping toString's argument handling (a measurable share of a decode). */
const slices = Buffer.prototype as unknown as Partial<NodeBufferSlices>;
const hasSlices = typeof slices.latin1Slice === 'function' && typeof slices.utf8Slice === 'function';
const latin1 = (buffer: Buffer, start: number, end: number): string =>
  hasSlices
    ? (buffer as unknown as NodeBufferSlices).latin1Slice(start, end)
    : buffer.toString('latin1', start, end);
const hasLatin1Write = typeof slices.latin1Write === 'function';

/**
 * Writes ASCII text (isAsciiText) into `out` at 0: the same bytes in every charset,
 * written where they go, with no buffer of their own to copy from.
 */
export function writeAsciiText(out: Buffer, text: string): void {
  if (hasLatin1Write) (out as unknown as NodeBufferSlices).latin1Write(text, 0, text.length);
  else out.write(text, 0, 'latin1');
}

const utf8 = (buffer: Buffer, start: number, end: number): string =>
  hasSlices
    ? (buffer as unknown as NodeBufferSlices).utf8Slice(start, end)
    : buffer.toString('utf8', start, end);

function strictOrNull(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export interface DecodedText {
  text: string;
  /** Bytes that are not text in the charset (invalid UTF-8, 8-bit bytes on an ASCII link). */
  lossy: boolean;
  /** Every byte was ASCII: character and byte offsets agree. */
  ascii: boolean;
}

/**
 * Decodes bytes from the wire. UTF-8 and ASCII links are read as UTF-8 first: when
 * the text has as many characters as there were bytes and no U+FFFD, every byte
 * was ASCII, which spares a separate scan. 8-bit bytes on an ASCII link are read
 * as UTF-8 if they are valid UTF-8, as Latin-1 otherwise, and flagged.
 */
export function decodeSip2Text(
  bytes: Uint8Array,
  start: number,
  end: number,
  charset: Sip2Charset,
): DecodedText {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = end - start;
  switch (charset) {
    case 'iso-8859-1': {
      const text = latin1(buffer, start, end);
      return { text, lossy: false, ascii: isAsciiText(text) };
    }
    case 'ibm850': {
      const text = latin1(buffer, start, end);
      if (isAsciiText(text)) return { text, lossy: false, ascii: true };
      return { text: iconv.decode(buffer.subarray(start, end), 'cp850'), lossy: false, ascii: false };
    }
    case 'utf-8':
    case 'ascii': {
      const text = utf8(buffer, start, end);
      const replaced = text.indexOf('\ufffd') >= 0;
      if (!replaced && text.length === length) return { text, lossy: false, ascii: true };
      const strict = replaced ? strictOrNull(buffer.subarray(start, end)) : text;
      if (strict !== null) return { text: strict, lossy: charset === 'ascii', ascii: false };
      return { text: charset === 'utf-8' ? text : latin1(buffer, start, end), lossy: true, ascii: false };
    }
  }
}
