/**
 * ISO 15693 UIDs: 8 bytes, least significant byte first on the air and in most reader APIs
 * (`55 44 33 22 11 00 04 E0`), printed most significant first (`E004001122334455`).
 * Carrel passes UIDs around as that printed form: 16 upper-case hex digits.
 */
import { Iso15693Error } from './errors.js';

/** A UID as printed on labels and in logs: 16 upper-case hex digits, `E0` first. */
export type TagUid = string;

const UID_PATTERN = /^[0-9A-F]{16}$/;

/** Each byte's two upper-case hex digits: a UID is printed from 8 of them (a pad's every inventory prints those it sees). */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0').toUpperCase());

export function isTagUid(value: unknown): value is TagUid {
  return typeof value === 'string' && UID_PATTERN.test(value);
}

/** Normalises `e0:04:…`, `e004…` or `E0 04 …` to the printed form; throws Iso15693Error when it is not 8 bytes. */
export function normalizeUid(text: string): TagUid {
  const hex = text.replace(/[\s:-]/g, '').toUpperCase();
  if (!UID_PATTERN.test(hex)) throw new Iso15693Error('iso15693_bad_uid', `not an ISO 15693 UID: "${text}"`);
  return hex;
}

/** The printed form of a UID read LSB first (air order). */
export function uidFromWire(bytes: Uint8Array, offset = 0): TagUid {
  if (bytes.length < offset + 8) throw new Iso15693Error('iso15693_truncated', 'UID needs 8 bytes');
  let hex = '';
  for (let i = 7; i >= 0; i--) hex += HEX[bytes[offset + i]!];
  return hex;
}

/** The printed form of a UID given MSB first (FEIG host protocol, 3M pads). */
export function uidFromMsbFirst(bytes: Uint8Array, offset = 0): TagUid {
  if (bytes.length < offset + 8) throw new Iso15693Error('iso15693_truncated', 'UID needs 8 bytes');
  let hex = '';
  for (let i = 0; i < 8; i++) hex += HEX[bytes[offset + i]!];
  return hex;
}

/** The 8 bytes MSB first: `E0 04 …`. */
export function uidToMsbFirst(uid: TagUid): Uint8Array {
  const hex = normalizeUid(uid);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The 8 bytes LSB first, as on the air. */
export function uidToWire(uid: TagUid): Uint8Array {
  return uidToMsbFirst(uid).reverse();
}

/** The IC manufacturer code (byte after E0): 0x04 NXP, 0x07 Texas Instruments, 0x16 EM, … */
export function uidManufacturer(uid: TagUid): number {
  return Number.parseInt(normalizeUid(uid).slice(2, 4), 16);
}
