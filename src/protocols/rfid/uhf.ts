/**
 * ISO/TS 28560-4 UHF tags: the PC word with the toggle bit set carries the AFI in its low byte,
 * the EPC (UII) holds the primary item identifier in URN Code 40 (three characters per 16-bit
 * word), and user memory starts with DSFID 0x06 followed by ISO 15962 elements as in part 2.
 */

import { decodeFailure, type RfidDecodeResult, RfidEncodeError, type RfidWarning } from './errors.js';
import { decodeIso28560Part2, type Iso28560Part2Fields } from './part2.js';

/** URN Code 40: code 0 is padding, then A–Z, '-', '.', ':', '0'–'9'. */
const CODE40 = '\0ABCDEFGHIJKLMNOPQRSTUVWXYZ-.:0123456789';
const CODE40_OF = new Map([...CODE40].map((c, i) => [c, i]));

export const USER_MEMORY_DSFID = 0x06;

export function encodeUrnCode40(text: string): Uint8Array {
  const codes: number[] = [];
  for (const char of text) {
    const code = CODE40_OF.get(char);
    if (code === undefined || code === 0) {
      throw new RfidEncodeError(
        'rfid_unencodable',
        'URN Code 40 holds A-Z, 0-9, "-", "." and ":" only',
        'primaryItemId',
      );
    }
    codes.push(code);
  }
  while (codes.length % 3 !== 0) codes.push(0);
  const out = new Uint8Array((codes.length / 3) * 2);
  for (let i = 0; i < codes.length; i += 3) {
    const word = 1600 * codes[i]! + 40 * codes[i + 1]! + codes[i + 2]! + 1;
    out[(i / 3) * 2] = word >> 8;
    out[(i / 3) * 2 + 1] = word & 0xff;
  }
  return out;
}

/** Decodes Code 40 words until a zero word; `undefined` if a word is out of range. */
export function decodeUrnCode40(bytes: Uint8Array): string | undefined {
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const word = (bytes[i]! << 8) | bytes[i + 1]!;
    if (word === 0) break;
    const value = word - 1;
    if (value >= 64000) return undefined;
    for (const code of [Math.floor(value / 1600), Math.floor(value / 40) % 40, value % 40]) {
      if (code !== 0) text += CODE40[code];
    }
  }
  return text;
}

export interface Iso28560Part4Fields {
  /** The item id from the EPC, else from user memory's OID 1, else ''. */
  primaryItemId: string;
  /** Protocol-control word, when the EPC bank was given. */
  pc?: number;
  /** The AFI from the PC word's low byte (toggle bit set). */
  afi?: number;
  /** PC bit 10: the tag says it has user memory. */
  userMemoryIndicator?: boolean;
  /** DSFID of user memory, when user memory was given. */
  dsfid?: number;
  /** Part 2 elements from user memory. */
  userData?: Iso28560Part2Fields;
}

export interface UhfTagMemory {
  /** The PC word (16 bits), as read from EPC bank word 1. */
  pc?: number;
  /** The EPC/UII after the PC word. */
  epc?: Uint8Array;
  /** User memory bank from word 0. */
  userMemory?: Uint8Array;
}

/** Decodes user memory on its own (DSFID byte first). */
export function decodeUhfUserMemory(userMemory: Uint8Array): RfidDecodeResult<Iso28560Part4Fields> {
  return decodeIso28560Part4({ userMemory });
}

export function decodeIso28560Part4(tag: UhfTagMemory): RfidDecodeResult<Iso28560Part4Fields> {
  const warnings: RfidWarning[] = [];
  const fields: Iso28560Part4Fields = { primaryItemId: '' };
  if (tag.pc !== undefined) {
    if (!Number.isInteger(tag.pc) || tag.pc < 0 || tag.pc > 0xffff) {
      return decodeFailure('rfid_malformed', 'PC word must be 16 bits');
    }
    fields.pc = tag.pc;
    fields.userMemoryIndicator = (tag.pc & 0x0400) !== 0;
    if ((tag.pc & 0x0100) === 0) {
      return decodeFailure(
        'rfid_not_iso_uii',
        'PC toggle bit is clear: an EPCglobal EPC, not an ISO library UII',
      );
    }
    fields.afi = tag.pc & 0xff;
  }
  if (tag.epc !== undefined) {
    let epc = tag.epc;
    if (tag.pc !== undefined) {
      const words = tag.pc >> 11;
      if (epc.length < words * 2) {
        warnings.push({ code: 'not_iso_uii', message: 'EPC shorter than the PC word says' });
      } else epc = epc.subarray(0, words * 2);
    }
    const itemId = decodeUrnCode40(epc);
    if (itemId === undefined) return decodeFailure('rfid_bad_compaction', 'EPC is not URN Code 40');
    fields.primaryItemId = itemId;
  }
  if (tag.userMemory !== undefined && tag.userMemory.length > 0) {
    const dsfid = tag.userMemory[0]!;
    fields.dsfid = dsfid;
    if (dsfid === USER_MEMORY_DSFID) {
      const user = decodeIso28560Part2(tag.userMemory.subarray(1), { requirePrimaryItemId: false });
      if (!user.ok) {
        const offset = user.error.offset === undefined ? undefined : user.error.offset + 1;
        return decodeFailure(user.error.code, user.error.message, offset);
      }
      fields.userData = user.fields;
      warnings.push(
        ...user.warnings.map((w) => (w.offset === undefined ? w : { ...w, offset: w.offset + 1 })),
      );
      if (!fields.primaryItemId) fields.primaryItemId = user.fields.primaryItemId;
    } else if (dsfid !== 0) {
      warnings.push({
        code: 'unknown_element',
        message: `user memory DSFID 0x${dsfid.toString(16)} is not 0x06`,
        offset: 0,
      });
    }
  }
  if (tag.epc === undefined && fields.userData === undefined) {
    return decodeFailure('rfid_unknown_format', 'neither an EPC nor ISO 28560 user memory');
  }
  return { ok: true, fields, crc: 'absent', warnings };
}
