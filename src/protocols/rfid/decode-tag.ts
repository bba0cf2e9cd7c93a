/**
 * `decodeTag`: one entry point for whatever is in a library tag's user memory. It recognises
 * blank tags, then trusts a CRC, then a DSFID hint, then content, and tries each 4-byte block
 * reversed when the logical order does not fit. Found by content alone, an ISO 28560-2 reading is
 * taken only when it keeps the standard's rules (part2-plausible.ts): damaged memory is no item.
 * It returns a typed error, never throws.
 */

import { type ByteOrder, reverseBlocks } from './byte-order.js';
import { decodeFailure, RfidDecodeError, type RfidDecodeResult, type RfidWarning } from './errors.js';
import { decodeIso28560Part2, type Iso28560Part2Fields } from './part2.js';
import { part2Implausibility } from './part2-plausible.js';
import { decodeIso28560Part3, hasValidPart3Crc, type Iso28560Part3Fields, marksLongItemId } from './part3.js';
import { decode3mTag, isThreeMBlank, looksLikeThreeM, type ThreeMFields } from './three-m.js';
import { decodeUhfUserMemory, type Iso28560Part4Fields, USER_MEMORY_DSFID } from './uhf.js';

export type TagFormat = '28560-3' | '28560-2' | '3m' | '28560-4' | 'blank';

export interface BlankTagFields {
  /** What the blank memory holds: all 00, all FF, or the 3M factory pattern. */
  pattern: 'zero' | 'ff' | '3m';
}

export interface TagFieldsByFormat {
  '28560-3': Iso28560Part3Fields;
  '28560-2': Iso28560Part2Fields;
  '3m': ThreeMFields;
  '28560-4': Iso28560Part4Fields;
  blank: BlankTagFields;
}

export type TagDecodeSuccess<F extends TagFormat = TagFormat> = F extends TagFormat
  ? {
      ok: true;
      format: F;
      byteOrder: ByteOrder;
      crc: 'valid' | 'invalid' | 'absent';
      fields: TagFieldsByFormat[F];
      warnings: RfidWarning[];
    }
  : never;

export type TagDecodeResult = TagDecodeSuccess | { ok: false; error: RfidDecodeError };

export interface TagDecodeHints {
  /** The tag's DSFID from Get System Info: 0x06 = ISO 28560-2, 0x3E = ISO 28560-3; 0 or absent = unknown. */
  dsfid?: number;
  /** Block size for the block-reversed retry. Default 4. */
  blockSize?: number;
}

/** DSFID registered for ISO 28560-2 (ISO/IEC 15962 encoding). */
export const DSFID_ISO28560_2 = 0x06;
/** DSFID used for ISO 28560-3 fixed-length encoding. */
export const DSFID_ISO28560_3 = 0x3e;

function success<F extends TagFormat>(
  format: F,
  byteOrder: ByteOrder,
  result: Extract<RfidDecodeResult<TagFieldsByFormat[F]>, { ok: true }>,
): TagDecodeResult {
  return {
    ok: true,
    format,
    byteOrder,
    crc: result.crc,
    fields: result.fields,
    warnings: result.warnings,
  } as TagDecodeResult;
}

function blankPattern(memory: Uint8Array): BlankTagFields['pattern'] | undefined {
  if (memory.every((b) => b === 0)) return 'zero';
  if (memory.every((b) => b === 0xff)) return 'ff';
  if (isThreeMBlank(memory)) return '3m';
  return undefined;
}

/** Logical order first; block-reversed only when the logical order does not fit. */
const ORDERS = ['logical', 'block-reversed'] as const;

/** A basic block that reads sensibly even though its CRC does not match. */
export function plausiblePart3(memory: Uint8Array): boolean {
  if (memory.length < 32) return false;
  const first = memory[0]!;
  if (first >> 4 !== 1 && (first & 0x0f) !== 1) return false;
  if (memory[1] === 0 || memory[2] === 0 || memory[2]! > memory[1]!) return false;
  if (marksLongItemId(memory)) return plausibleLongItemId(memory);
  let length = 0;
  for (let i = 3; i < 19; i++) {
    const c = memory[i]!;
    if (c === 0) {
      if (memory.subarray(i, 19).some((b) => b !== 0)) return false;
      break;
    }
    if (c < 0x20 || c > 0x7e) return false;
    length++;
  }
  return length > 0;
}

/**
 * An item id over 16 bytes (as Carrel writes a long barcode) reads sensibly when the library
 * extension block holding it is whole — its XOR holds, which the basic block's CRC does not cover —
 * and the id is printable.
 */
function plausibleLongItemId(memory: Uint8Array): boolean {
  const decoded = decodeIso28560Part3(memory);
  if (!decoded.ok) return false;
  const library = decoded.fields.extensions.find((e) => e.kind === 'library');
  return (
    library?.kind === 'library' &&
    library.xorValid &&
    library.itemId !== undefined &&
    /^[\x20-\x7e]+$/.test(library.itemId)
  );
}

function detect(memory: Uint8Array, hints: TagDecodeHints): TagDecodeResult {
  if (!(memory instanceof Uint8Array))
    return decodeFailure('rfid_malformed', 'tag memory must be a Uint8Array');
  if (memory.length === 0) return decodeFailure('rfid_empty', 'no tag memory');
  const blockSize =
    Number.isInteger(hints.blockSize) && hints.blockSize! >= 2 && hints.blockSize! <= 32
      ? hints.blockSize!
      : 4;
  let reversedCache: Uint8Array | undefined;
  const reversed = () => {
    reversedCache ??= reverseBlocks(memory, blockSize);
    return reversedCache;
  };
  const inOrder = (order: ByteOrder) => (order === 'logical' ? memory : reversed());

  const blank = blankPattern(memory);
  if (blank)
    return {
      ok: true,
      format: 'blank',
      byteOrder: 'logical',
      crc: 'absent',
      fields: { pattern: blank },
      warnings: [],
    };

  if (hints.dsfid === DSFID_ISO28560_2) {
    const logical = decodeIso28560Part2(memory);
    if (logical.ok) return success('28560-2', 'logical', logical);
    const flipped = decodeIso28560Part2(reversed());
    if (flipped.ok) return success('28560-2', 'block-reversed', flipped);
    return logical;
  }

  for (const order of ORDERS) {
    const bytes = inOrder(order);
    // Without a DSFID saying part 3, a CRC that holds over a reading no tag could carry (an item id
    // of control characters, part 65 of 1) is one chance in 65,536 that damaged or foreign memory
    // met, in one byte order or the other: the tag is unreadable, not that item.
    if (hasValidPart3Crc(bytes) && (hints.dsfid === DSFID_ISO28560_3 || plausiblePart3(bytes))) {
      const result = decodeIso28560Part3(bytes);
      if (result.ok) return success('28560-3', order, result);
    }
  }

  if (hints.dsfid !== DSFID_ISO28560_3) {
    for (const order of ORDERS) {
      const bytes = inOrder(order);
      if (looksLikeThreeM(bytes)) {
        const result = decode3mTag(bytes);
        if (result.ok) return success('3m', order, result);
      }
    }
    for (const order of ORDERS) {
      const bytes = inOrder(order);
      const result = decodeIso28560Part2(bytes);
      // No DSFID says it is part 2, and part 2 has no CRC: only a reading the standard allows.
      if (result.ok && part2Implausibility(result.fields, result.warnings) === undefined)
        return success('28560-2', order, result);
    }
    if (memory[0] === USER_MEMORY_DSFID) {
      const result = decodeUhfUserMemory(memory);
      if (result.ok && result.fields.userData && result.fields.userData.elements.length > 0) {
        return success('28560-4', 'logical', result);
      }
    }
  }

  for (const order of ORDERS) {
    const bytes = inOrder(order);
    if (
      plausiblePart3(bytes) ||
      (hints.dsfid === DSFID_ISO28560_3 && order === 'logical' && bytes.length >= 32)
    ) {
      const result = decodeIso28560Part3(bytes);
      if (result.ok) return success('28560-3', order, result);
    }
  }
  return decodeFailure('rfid_unknown_format', 'tag memory matches no library data model');
}

/** Decodes a library tag's user memory (logical or block-reversed order) without ever throwing. */
export function decodeTag(memory: Uint8Array, hints: TagDecodeHints = {}): TagDecodeResult {
  try {
    return detect(memory, hints ?? {});
  } catch (error) {
    // Our bug, not the tag's: still a typed result, so one odd tag cannot take the desk down.
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: new RfidDecodeError('rfid_malformed', `decoder failed: ${detail}`) };
  }
}
