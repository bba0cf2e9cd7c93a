/**
 * Fixed-length ESC/POS commands as one table: prefix byte, command byte, how
 * many parameter bytes follow, and how the parameters read as a typed command.
 * The decoder (commands.ts) handles the variable-length ones itself.
 */
import type { Alignment, BarcodeSymbology, EscPosCommand } from './command-types.js';
import { statusKindOf } from './status.js';

export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;

export interface FixedCommand {
  params: number;
  build(p: Uint8Array): EscPosCommand;
}

const u16 = (p: Uint8Array, at = 0) => p[at]! | (p[at + 1]! << 8);
const on = (n: number | undefined) => ((n ?? 0) & 1) === 1;
const ALIGN: Alignment[] = ['left', 'center', 'right'];
const HRI = ['none', 'above', 'below', 'both'] as const;

const thickness = (n: number): 0 | 1 | 2 => {
  const t = n >= 0x30 ? n - 0x30 : n;
  return t === 1 ? 1 : t === 2 ? 2 : 0;
};

const extended =
  (prefix: number, letter: number) =>
  (p: Uint8Array): EscPosCommand => ({ type: 'extended', prefix, letter, params: p.slice() });

const c = (ch: string) => ch.charCodeAt(0);

function table(entries: Array<[string | number, number, (p: Uint8Array) => EscPosCommand]>) {
  const map = new Map<number, FixedCommand>();
  for (const [key, params, build] of entries)
    map.set(typeof key === 'number' ? key : c(key), { params, build });
  return map;
}

export const ESC_COMMANDS = table([
  ['@', 0, () => ({ type: 'initialize' })],
  ['t', 1, (p) => ({ type: 'code-page', page: p[0]! })],
  ['R', 1, (p) => ({ type: 'international-charset', charset: p[0]! })],
  ['E', 1, (p) => ({ type: 'bold', on: on(p[0]) })],
  ['G', 1, (p) => ({ type: 'double-strike', on: on(p[0]) })],
  ['-', 1, (p) => ({ type: 'underline', thickness: thickness(p[0]!) })],
  [
    '!',
    1,
    (p) => ({
      type: 'print-mode',
      font: (p[0]! & 0x01) as 0 | 1,
      bold: (p[0]! & 0x08) !== 0,
      doubleHeight: (p[0]! & 0x10) !== 0,
      doubleWidth: (p[0]! & 0x20) !== 0,
      underline: (p[0]! & 0x80) !== 0,
    }),
  ],
  ['a', 1, (p) => ({ type: 'align', align: ALIGN[(p[0]! >= 0x30 ? p[0]! - 0x30 : p[0]!) % 3] ?? 'left' })],
  ['3', 1, (p) => ({ type: 'line-spacing', dots: p[0]! })],
  ['2', 0, () => ({ type: 'line-spacing', dots: null })],
  ['$', 2, (p) => ({ type: 'absolute-position', dots: u16(p) })],
  ['\\', 2, (p) => ({ type: 'relative-position', dots: (u16(p) << 16) >> 16 })],
  ['M', 1, (p) => ({ type: 'font', font: p[0]! >= 0x30 ? p[0]! - 0x30 : p[0]! })],
  [' ', 1, (p) => ({ type: 'character-spacing', dots: p[0]! })],
  ['{', 1, (p) => ({ type: 'upside-down', on: on(p[0]) })],
  ['V', 1, (p) => ({ type: 'rotate', on: on(p[0]) })],
  ['U', 1, (p) => ({ type: 'unidirectional', on: on(p[0]) })],
  ['r', 1, (p) => ({ type: 'print-color', color: p[0]! & 1 })],
  ['d', 1, (p) => ({ type: 'feed-lines', lines: p[0]! })],
  ['J', 1, (p) => ({ type: 'feed-dots', dots: p[0]! })],
  ['e', 1, (p) => ({ type: 'reverse-feed-lines', lines: p[0]! })],
  ['p', 3, (p) => ({ type: 'drawer-pulse', pin: p[0]! & 1, onMs: p[1]! * 2, offMs: p[2]! * 2 })],
  ['=', 1, (p) => ({ type: 'peripheral-device', n: p[0]! })],
  ['L', 0, () => ({ type: 'page-mode' })],
  ['S', 0, () => ({ type: 'standard-mode' })],
  [0x0c, 0, () => ({ type: 'print-page' })],
  ['i', 0, () => ({ type: 'cut', partial: false, feedDots: 0, mode: c('i') })],
  ['m', 0, () => ({ type: 'cut', partial: true, feedDots: 0, mode: c('m') })],
  ['T', 1, extended(ESC, c('T'))],
  ['W', 8, extended(ESC, c('W'))],
  ['%', 1, extended(ESC, c('%'))],
  ['?', 1, extended(ESC, c('?'))],
  [
    'c',
    2,
    (p) =>
      p[0] === 5
        ? { type: 'panel-buttons', on: on(p[1]) }
        : p[0] === 3 || p[0] === 4
          ? { type: 'paper-sensors', fn: p[0], n: p[1]! }
          : { type: 'extended', prefix: ESC, letter: c('c'), params: p.slice() },
  ],
]);

export const GS_COMMANDS = table([
  ['!', 1, (p) => ({ type: 'character-size', width: ((p[0]! >> 4) & 0x07) + 1, height: (p[0]! & 0x07) + 1 })],
  ['B', 1, (p) => ({ type: 'invert', on: on(p[0]) })],
  ['L', 2, (p) => ({ type: 'left-margin', dots: u16(p) })],
  ['W', 2, (p) => ({ type: 'print-area-width', dots: u16(p) })],
  ['h', 1, (p) => ({ type: 'barcode-height', dots: p[0]! })],
  ['w', 1, (p) => ({ type: 'barcode-module-width', dots: p[0]! })],
  [
    'H',
    1,
    (p) => ({ type: 'barcode-hri-position', position: HRI[(p[0]! >= 0x30 ? p[0]! - 0x30 : p[0]!) & 3]! }),
  ],
  ['f', 1, (p) => ({ type: 'barcode-hri-font', font: p[0]! >= 0x30 ? p[0]! - 0x30 : p[0]! })],
  ['r', 1, (p) => ({ type: 'transmit-status', n: p[0]! >= 0x30 ? p[0]! - 0x30 : p[0]! })],
  ['I', 1, (p) => ({ type: 'transmit-printer-id', n: p[0]! })],
  ['a', 1, (p) => ({ type: 'automatic-status-back', mask: p[0]! })],
  ['b', 1, (p) => ({ type: 'smoothing', on: on(p[0]) })],
  ['$', 2, extended(GS, c('$'))],
  ['\\', 2, extended(GS, c('\\'))],
  ['P', 2, extended(GS, c('P'))],
  ['T', 1, extended(GS, c('T'))],
  ['/', 1, extended(GS, c('/'))],
  [':', 0, extended(GS, c(':'))],
  ['^', 3, extended(GS, c('^'))],
]);

export const FS_COMMANDS = table([
  ['.', 0, () => ({ type: 'kanji-mode', on: false })],
  ['&', 0, () => ({ type: 'kanji-mode', on: true })],
  ['C', 1, (p) => ({ type: 'kanji-code-system', system: on(p[0]) ? 'shift-jis' : 'jis' })],
  ['S', 2, (p) => ({ type: 'kanji-spacing', left: p[0]!, right: p[1]! })],
  ['-', 1, (p) => ({ type: 'kanji-underline', thickness: thickness(p[0]!) })],
  [
    '!',
    1,
    (p) => ({
      type: 'kanji-print-mode',
      doubleWidth: (p[0]! & 0x04) !== 0,
      doubleHeight: (p[0]! & 0x08) !== 0,
      underline: (p[0]! & 0x80) !== 0,
    }),
  ],
  ['W', 1, extended(FS, c('W'))],
  ['?', 2, extended(FS, c('?'))],
  ['2', 74, extended(FS, c('2'))],
  ['p', 2, (p) => ({ type: 'nv-bit-image-print', n: p[0]!, mode: p[1]! })],
]);

/** DLE EOT n, DLE ENQ n, DLE DC4 fn …: how many bytes follow DLE x (given the next byte). */
export function realTimeCommand(x: number, n: number): FixedCommand | undefined {
  if (x === 0x04) {
    const extra = n === 7 || n === 8 ? 1 : 0;
    return {
      params: 1 + extra,
      build: (p) => ({
        type: 'real-time-status',
        n: p[0]!,
        kind: statusKindOf(p[0]!),
        ...(extra ? { extra: p[1]! } : {}),
      }),
    };
  }
  if (x === 0x05) return { params: 1, build: (p) => ({ type: 'real-time-request', n: p[0]! }) };
  if (x === 0x14) {
    const lengths: Record<number, number> = { 1: 2, 2: 2, 3: 2, 7: 1, 8: 7 };
    const length = lengths[n];
    if (length === undefined) return undefined;
    return {
      params: 1 + length,
      build: (p) => ({ type: 'real-time-command', fn: p[0]!, params: p.slice(1) }),
    };
  }
  return undefined;
}

const SYMBOLOGY_A: BarcodeSymbology[] = ['upc-a', 'upc-e', 'ean13', 'ean8', 'code39', 'itf', 'codabar'];
const SYMBOLOGY_B: BarcodeSymbology[] = [
  'upc-a',
  'upc-e',
  'ean13',
  'ean8',
  'code39',
  'itf',
  'codabar',
  'code93',
  'code128',
  'gs1-128',
  'gs1-databar-omni',
  'gs1-databar-truncated',
  'gs1-databar-limited',
  'gs1-databar-expanded',
  'code128-auto',
];

/** GS k m: the symbology of barcode form m (0–6 NUL-terminated, 65–79 length-prefixed). */
export function barcodeSymbology(m: number): BarcodeSymbology {
  if (m <= 6) return SYMBOLOGY_A[m] ?? 'unknown';
  return SYMBOLOGY_B[m - 65] ?? 'unknown';
}
