/**
 * ESC t n character code tables (Epson TM numbering) and decoding of printed
 * text bytes back to Unicode. Pure: no I/O.
 */
import iconv from 'iconv-lite';

/** ESC t n → the iconv-lite encoding name of that table. */
export const CODE_PAGES: Readonly<Record<number, string>> = Object.freeze({
  0: 'cp437',
  1: 'katakana',
  2: 'cp850',
  3: 'cp860',
  4: 'cp863',
  5: 'cp865',
  13: 'cp857',
  14: 'cp737',
  15: 'iso88597',
  16: 'cp1252',
  17: 'cp866',
  18: 'cp852',
  19: 'cp858',
  20: 'tis620',
  21: 'tis620',
  22: 'tis620',
  23: 'tis620',
  24: 'tis620',
  25: 'tis620',
  26: 'tis620',
  32: 'cp720',
  33: 'cp775',
  34: 'cp855',
  35: 'cp861',
  36: 'cp862',
  37: 'cp864',
  38: 'cp869',
  39: 'iso88592',
  40: 'iso885915',
  44: 'cp1125',
  45: 'cp1250',
  46: 'cp1251',
  47: 'cp1253',
  48: 'cp1254',
  49: 'cp1255',
  50: 'cp1256',
  51: 'cp1257',
  52: 'cp1258',
});

/** The encoding name for ESC t n; PC437 for tables we do not know. */
export function codePageEncoding(page: number): string {
  return CODE_PAGES[page] ?? 'cp437';
}

/**
 * Epson's Katakana table (ESC t 1): 0x80–0x9F are block and box-drawing
 * characters (receiptline draws its rules with them), 0xA1–0xDF half-width
 * katakana.
 */
const KATAKANA_HIGH =
  '▁▂▃▄▅▆▇█▏▎▍▌▋▊▉┼' + // 0x80–0x8F
  '┴┬┤├▔─│▕┌┐└┘╭╮╰╯'; // 0x90–0x9F

function decodeKatakana(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte < 0x80) text += String.fromCharCode(byte);
    else if (byte < 0xa0) text += KATAKANA_HIGH[byte - 0x80];
    else if (byte >= 0xa1 && byte <= 0xdf) text += String.fromCharCode(0xff61 + (byte - 0xa1));
    else text += ' ';
  }
  return text;
}

/** Printed bytes in code page `page` (ESC t n) → Unicode. */
export function decodeText(bytes: Uint8Array, page: number): string {
  const encoding = codePageEncoding(page);
  if (encoding === 'katakana') return decodeKatakana(bytes);
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding);
}

/** Kanji-mode text (FS & with FS C n): Shift JIS for FS C 1, else GB18030 as a stand-in. */
export function decodeKanjiText(bytes: Uint8Array, codeSystem: 'jis' | 'shift-jis'): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return iconv.decode(buffer, codeSystem === 'shift-jis' ? 'shiftjis' : 'gb18030');
}

/** Unicode → bytes of code page `page`, for tests and drivers that want to print it. */
export function encodeText(text: string, page: number): Uint8Array {
  const encoding = codePageEncoding(page);
  if (encoding === 'katakana') return Uint8Array.from(Buffer.from(text, 'latin1'));
  return Uint8Array.from(iconv.encode(text, encoding));
}
