/**
 * AIM symbology identifiers (ISO/IEC 15424): `]` + a code character naming the
 * symbology + a modifier character, sent by a scanner before the data when it
 * is told to. `]E0` is EAN-13 (or UPC-A), `]C1` a GS1-128, `]Q1` a QR Code.
 */
import { ScanError } from './errors.js';

/** The code characters of ISO/IEC 15424, by the symbology's common name. */
const SYMBOLOGIES: Readonly<Record<string, string>> = {
  A: 'code39',
  C: 'code128',
  D: 'code-one',
  E: 'ean-upc',
  F: 'codabar',
  G: 'code93',
  H: 'code11',
  I: 'itf',
  K: 'code16k',
  L: 'pdf417',
  M: 'msi',
  N: 'anker',
  O: 'codablock',
  P: 'plessey',
  Q: 'qr',
  R: 'straight-2of5-2bar',
  S: 'straight-2of5-3bar',
  T: 'code49',
  U: 'maxicode',
  X: 'other',
  Y: 'system',
  Z: 'non-barcode',
  c: 'channel-code',
  d: 'datamatrix',
  e: 'gs1-databar',
  h: 'chinese-sensible',
  o: 'ocr',
  p: 'posicode',
  s: 'superCode',
  z: 'aztec',
};

/** A symbology as the scan said it: the AIM identifier and what it names. */
export interface Symbology {
  /** The three characters as sent: `]E0`. */
  aim: string;
  /** The symbology's name (`ean-upc`, `code128`, `qr`…), or `unknown` for a code character not in the table. */
  name: string;
  /** The modifier character (`0`–`9`, `A`–`Z`…): options such as check digit or GS1 mode. */
  modifier: string;
}

/** Reads an AIM identifier at the start of a scan; the rest is the data. Throws `scan_bad_symbology`. */
export function splitSymbology(text: string): { symbology: Symbology; data: string } {
  const code = text[1];
  const modifier = text[2];
  if (
    text[0] !== ']' ||
    code === undefined ||
    modifier === undefined ||
    !/^[A-Za-z]$/.test(code) ||
    !/^[0-9A-Za-z]$/.test(modifier)
  )
    throw new ScanError(
      'scan_bad_symbology',
      'the scan does not start with an AIM symbology identifier (]Xm)',
    );
  return {
    symbology: { aim: text.slice(0, 3), name: SYMBOLOGIES[code] ?? 'unknown', modifier },
    data: text.slice(3),
  };
}

/** The AIM identifier of a symbology name (for simulators): `ean-upc` + `0` → `]E0`. */
export function aimIdentifier(name: string, modifier = '0'): string {
  const code = Object.keys(SYMBOLOGIES).find((key) => SYMBOLOGIES[key] === name);
  if (code === undefined) throw new ScanError('scan_bad_symbology', `no AIM code character for "${name}"`);
  return `]${code}${modifier}`;
}
