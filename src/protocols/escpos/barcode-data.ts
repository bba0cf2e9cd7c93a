/**
 * The human-readable content of GS k barcode data. CODE128 data on the wire
 * carries code-set switches ({A {B {C), shifts ({S) and, in code set C, one
 * byte per digit pair; everything else is plain ASCII.
 */
import type { BarcodeSymbology } from './command-types.js';

const BRACE = 0x7b;

/** The text a printer prints as HRI: EAN/UPC data sent without its check digit gets one. */
export function barcodeText(symbology: BarcodeSymbology, data: Uint8Array): string {
  if (symbology !== 'code128' && symbology !== 'gs1-128') {
    const text = String.fromCharCode(...data);
    const bare = { ean13: 12, ean8: 7, 'upc-a': 11 }[symbology as string];
    return bare === text.length && /^\d+$/.test(text) ? text + checkDigit(text) : text;
  }
  let set: 'A' | 'B' | 'C' = 'B';
  let shift = false;
  let text = '';
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte === BRACE && i + 1 < data.length) {
      const next = String.fromCharCode(data[++i]!);
      if (next === 'A' || next === 'B' || next === 'C') set = next;
      else if (next === 'S') shift = true;
      else if (next === '{') text += '{';
      // {1 {2 {3 {4 are FNC1–FNC4: not part of the human-readable text.
      continue;
    }
    const current = shift ? (set === 'A' ? 'B' : 'A') : set;
    shift = false;
    if (current === 'C') text += byte <= 99 ? String(byte).padStart(2, '0') : '';
    else text += String.fromCharCode(byte);
  }
  return text;
}

/** The GS1 modulo-10 check digit of a digit string. */
export function checkDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const weight = (digits.length - i) % 2 === 1 ? 3 : 1;
    sum += Number(digits[i]) * weight;
  }
  return String((10 - (sum % 10)) % 10);
}
