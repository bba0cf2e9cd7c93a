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

/**
 * Card names of contactless storage cards in a PC/SC reader's ATR (PC/SC part 3, supplement: the
 * two bytes after the standard byte of `80 4F 0C A0 00 00 03 06 SS NN NN`).
 */
const STORAGE_CARD_NAMES: Readonly<Record<string, string>> = {
  '0001': 'MIFARE Classic 1K',
  '0002': 'MIFARE Classic 4K',
  '0003': 'MIFARE Ultralight',
  '0026': 'MIFARE Mini',
  F004: 'Topaz',
  F011: 'FeliCa',
  F012: 'FeliCa',
};

/**
 * What the card's ATR says it is. A PC/SC reader gives a contactless card (ISO 14443) an ATR of its
 * own making, `3B 8n 80 01 …` (PC/SC part 3, 3.1.3.2.3), naming a storage card in its historical
 * bytes; any other ATR is a contact chip card's own (a bank card, a health card, a SIM).
 */
export function cardTypeOfAtr(atr: Uint8Array): { contactless: boolean; name: string | null } {
  const contactless =
    atr.length >= 4 && atr[0] === 0x3b && (atr[1]! & 0xf0) === 0x80 && atr[2] === 0x80 && atr[3] === 0x01;
  if (!contactless) return { contactless: false, name: null };
  const historical = Buffer.from(atr).toString('hex').toUpperCase().slice(8);
  const storage = /^804F0CA0000003060[0-9A-F]([0-9A-F]{4})/.exec(historical);
  return { contactless: true, name: storage ? (STORAGE_CARD_NAMES[storage[1]!] ?? null) : null };
}

/**
 * Why the reader gave no number for the card (GET DATA answered `status`, not 90 00), in words the
 * desk can act on, by what its ATR says it is: a contact chip card is not a campus card; a
 * contactless one of a type its ATR does not name is one the reader does not read the number of
 * (`card_type_unsupported`); a named one (MIFARE…) the reader failed (`card_uid_unreadable`). The
 * ATR (hex) ends it, for IT.
 */
export function cardTypeUnsupported(atr: Uint8Array, status: string): ScanError {
  const type = cardTypeOfAtr(atr);
  const hex = Buffer.from(atr).toString('hex').toUpperCase();
  const why = `GET DATA answered ${status}${status === '6A81' ? ', function not supported' : ''}`;
  const instead = 'ask for the patron’s library or campus card';
  if (!type.contactless)
    return new ScanError(
      'card_type_unsupported',
      `this is a contact chip card (a bank or health card, say), not a contactless card: the reader gives no number for it — ${instead} (ATR ${hex})`,
    );
  // A card type readers know: this reader failed it, the card is not at fault.
  if (type.name)
    return new ScanError(
      'card_uid_unreadable',
      `the reader gave no number for this ${type.name} card (${why}): lay it on the reader again; if it fails again, the reader does not read its number (ATR ${hex})`,
    );
  return new ScanError(
    'card_type_unsupported',
    `the reader gives no number for this type of contactless card (${why}) — ${instead} (ATR ${hex})`,
  );
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
