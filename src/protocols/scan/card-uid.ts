/**
 * Contactless card UIDs (ISO/IEC 14443 A/B) as campus systems write them. The
 * reader answers GET DATA (`FF CA 00 00 00`, PC/SC part 3) with the UID bytes
 * in the order they came over the air (ISO 14443-3: UID0 first); campus card
 * systems store them as hex or as a decimal number, some with the bytes
 * reversed (a 4-byte MIFARE UID read as a little-endian integer).
 */
import { ScanError } from './errors.js';

/** GET DATA, UID of the card in the field (PC/SC part 3, 3.2.2.1.3): CLA FF, INS CA, P1 00, P2 00, Le 00. */
export const GET_UID_APDU = Uint8Array.of(0xff, 0xca, 0x00, 0x00, 0x00);

export interface CardUidFormat {
  /** `hex`: 04A224B2; `decimal`: the bytes read as one unsigned integer. */
  format: 'hex' | 'decimal';
  /** `as-read`: UID0 first (most significant); `reversed`: last byte first. */
  byteOrder: 'as-read' | 'reversed';
  /** Hex letters' case. */
  hexCase?: 'upper' | 'lower';
  /** Decimal: left-padded with zeros to this many digits (0: no padding). */
  decimalDigits?: number;
}

/** The UID from a GET DATA answer (UID + SW1 SW2). Throws `card_uid_unreadable` unless SW is 90 00 with 4–10 UID bytes. */
export function uidFromGetData(answer: Uint8Array): Uint8Array {
  if (answer.length < 2)
    throw new ScanError('card_uid_unreadable', 'the answer to GET DATA has no status word');
  const sw1 = answer[answer.length - 2]!;
  const sw2 = answer[answer.length - 1]!;
  const status = ((sw1 << 8) | sw2).toString(16).toUpperCase().padStart(4, '0');
  if (sw1 !== 0x90 || sw2 !== 0x00)
    throw new ScanError(
      'card_uid_unreadable',
      `GET DATA answered ${status}${status === '6A81' ? ' (function not supported)' : status === '6282' ? ' (end of data reached before Le bytes)' : ''}`,
    );
  const uid = answer.slice(0, answer.length - 2);
  if (![4, 7, 10].includes(uid.length) && (uid.length < 4 || uid.length > 10))
    throw new ScanError('card_uid_unreadable', `a UID of ${uid.length} bytes`);
  return uid;
}

/** A UID in the form the site's campus system uses. */
export function formatCardUid(uid: Uint8Array, format: CardUidFormat): string {
  const bytes = format.byteOrder === 'reversed' ? [...uid].reverse() : [...uid];
  if (format.format === 'hex') {
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return format.hexCase === 'lower' ? hex : hex.toUpperCase();
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value.toString(10).padStart(format.decimalDigits ?? 0, '0');
}

/** Reads a UID written as hex, with or without separators (`04:A2:24:B2`, `04a224b2`). */
export function parseHexUid(text: string): Uint8Array {
  const hex = text.replace(/[\s:-]/g, '');
  if (!/^([0-9a-fA-F]{2}){4,10}$/.test(hex))
    throw new ScanError('card_uid_unreadable', 'a UID is 4 to 10 bytes of hex');
  return Uint8Array.from(hex.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}
