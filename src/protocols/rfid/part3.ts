/**
 * ISO 28560-3 fixed-length encoding (the Danish data model's lineage): a 32- or 34-byte basic
 * block with a CRC-16/IBM-3740 over bytes 0..18 and 21..33, then optional extension blocks.
 * Reads the Danish variant with the type of usage in the high nibble.
 */

import { CRC16_IBM_3740 } from './crc.js';
import { decodeFailure, type RfidDecodeResult, RfidEncodeError, type RfidWarning } from './errors.js';
import type { SetInformation } from './part2.js';
import {
  decodePart3Extensions,
  encodePart3Extension,
  type Part3Extension,
  type Part3ExtensionInput,
} from './part3-extensions.js';
import { resolveTypeOfUsage, type TypeOfUsage, type TypeOfUsageInput, typeOfUsage } from './usage.js';

/** Bytes the basic block occupies: 34, or 32 on small tags (ISIL cut to 11 bytes). */
export type Part3Layout = 32 | 34;

export interface Iso28560Part3Fields {
  version: number;
  /** Where the type of usage was: 'low' as the standard says, 'high' in some Danish-model writers. */
  usageNibble: 'low' | 'high';
  typeOfUsage: TypeOfUsage;
  set: SetInformation;
  primaryItemId: string;
  /** Owner library as stored: the ISIL without its hyphen, e.g. `DK718500`. */
  ownerLibrary: string;
  /** The same as an ISIL, e.g. `DK-718500` ('' when none). */
  isil: string;
  layout: Part3Layout;
  storedCrc: number;
  computedCrc: number;
  extensions: Part3Extension[];
}

export interface Iso28560Part3Input {
  primaryItemId: string;
  /** Default: 1 part, part 1. */
  set?: SetInformation;
  /** Default: circulating. Patron cards: 'patron-card' (8). */
  typeOfUsage?: TypeOfUsageInput;
  /** ISIL; the hyphen after a two-letter country prefix is dropped as the standard stores it. */
  ownerLibrary?: string;
  extensions?: readonly Part3ExtensionInput[];
  /** Default 1. */
  version?: number;
  /** Default 'low'. 'high' writes the Danish variant some sites still read. */
  usageNibble?: 'low' | 'high';
  /** Default 34. A 32-byte tag has no room for extension blocks. */
  layout?: Part3Layout;
}

export interface Part3EncodeOptions {
  /** Zero-fill the result to this many bytes (the tag's user memory). */
  memorySize?: number;
}

const ITEM_ID_START = 3;
const ITEM_ID_END = 19;
const CRC_AT = 19;
const ISIL_START = 21;
/** The long-identifier marker in byte 3. */
const LONG_ID_MARKER = 0x01;

/** Whether bytes 3..18 say the item id is over 16 bytes, kept in the library extension block: 0x01, then zeros. */
export function marksLongItemId(memory: Uint8Array): boolean {
  return (
    memory[ITEM_ID_START] === LONG_ID_MARKER &&
    memory.subarray(ITEM_ID_START + 1, ITEM_ID_END).every((b) => b === 0)
  );
}

/** The data-model CRC of a basic block laid out on 32 or 34 bytes. */
export function part3Crc(memory: Uint8Array, layout: Part3Layout): number {
  const crc = CRC16_IBM_3740;
  let value = crc.update(crc.initial, memory, 0, CRC_AT);
  if (layout === 34) value = crc.update(value, memory, ISIL_START, 34);
  else value = crc.update(crc.update(value, memory, ISIL_START, 32), [0, 0]);
  return crc.finish(value);
}

function text(memory: Uint8Array, start: number, end: number): { value: string; printable: boolean } {
  let value = '';
  let printable = true;
  for (let i = start; i < end; i++) {
    const c = memory[i]!;
    if (c === 0) break;
    if (c < 0x20 || c === 0x7f) printable = false;
    value += String.fromCharCode(c);
  }
  return { value, printable };
}

/** The ISIL of a stored owner library: the hyphen goes back after the two-letter country prefix. */
export function isilOf(stored: string): string {
  if (stored.length <= 2 || stored[2] === '-') return stored;
  return `${stored.slice(0, 2)}-${stored.slice(2)}`;
}

export function decodeIso28560Part3(memory: Uint8Array): RfidDecodeResult<Iso28560Part3Fields> {
  if (memory.length < 32)
    return decodeFailure('rfid_truncated', 'an ISO 28560-3 basic block needs 32 bytes', 0);
  const warnings: RfidWarning[] = [];
  const storedCrc = memory[CRC_AT]! | (memory[CRC_AT + 1]! << 8);
  let layout: Part3Layout = memory.length >= 34 ? 34 : 32;
  let computedCrc = part3Crc(memory, layout);
  if (computedCrc !== storedCrc && layout === 34 && part3Crc(memory, 32) === storedCrc) {
    layout = 32;
    computedCrc = storedCrc;
  }
  const crcValid = computedCrc === storedCrc;
  if (!crcValid)
    warnings.push({ code: 'crc_mismatch', message: 'basic block CRC does not match', offset: CRC_AT });

  const first = memory[0]!;
  const high = first >> 4;
  const low = first & 0x0f;
  let version = high;
  let usage = low;
  let usageNibble: 'low' | 'high' = 'low';
  if (high !== 1 && low === 1) {
    version = 1;
    usage = high;
    usageNibble = 'high';
    warnings.push({
      code: 'usage_in_high_nibble',
      message: 'type of usage is in the high nibble',
      offset: 0,
    });
  } else if (high !== 1) {
    warnings.push({ code: 'unknown_version', message: `data model version ${high} is not 1`, offset: 0 });
  }

  const item = text(memory, ITEM_ID_START, ITEM_ID_END);
  const owner = text(memory, ISIL_START, layout);
  const extensions = layout === 34 ? decodePart3Extensions(memory, 34, warnings) : [];
  let primaryItemId = item.value;
  const longId = marksLongItemId(memory);
  if (longId) {
    const library = extensions.find((e) => e.kind === 'library');
    primaryItemId = library?.kind === 'library' && library.itemId ? library.itemId : '';
    if (!primaryItemId) {
      warnings.push({
        code: 'long_item_id_missing',
        message: 'long item id marker without a library extension id',
      });
    }
  } else if (!item.printable) {
    warnings.push({
      code: 'non_ascii_text',
      message: 'primary item identifier holds control bytes',
      offset: 3,
    });
  }
  if (!longId && primaryItemId === '') {
    warnings.push({ code: 'empty_primary_item_id', message: 'primary item identifier is empty', offset: 3 });
  }
  if (!owner.printable) {
    warnings.push({
      code: 'non_ascii_text',
      message: 'owner library holds control bytes',
      offset: ISIL_START,
    });
  }
  return {
    ok: true,
    crc: crcValid ? 'valid' : 'invalid',
    warnings,
    fields: {
      version,
      usageNibble,
      typeOfUsage: typeOfUsage(usage),
      set: { parts: memory[1]!, part: memory[2]! },
      primaryItemId,
      ownerLibrary: owner.value,
      isil: isilOf(owner.value),
      layout,
      storedCrc,
      computedCrc,
      extensions,
    },
  };
}

/** Whether the basic block at the start of `memory` carries a valid data-model CRC. */
export function hasValidPart3Crc(memory: Uint8Array): boolean {
  if (memory.length < 32) return false;
  const stored = memory[CRC_AT]! | (memory[CRC_AT + 1]! << 8);
  if (memory.length >= 34 && part3Crc(memory, 34) === stored) return true;
  return part3Crc(memory, 32) === stored;
}

function latin1Bytes(value: string, field: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0xff)
      throw new RfidEncodeError('rfid_unencodable', 'text holds NUL or non-Latin-1', field);
    out.push(c);
  }
  return out;
}

function byteValue(value: number, field: string, max = 255): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RfidEncodeError('rfid_invalid_value', `${field} must be 0..${max}`, field);
  }
  return value;
}

export function encodeIso28560Part3(input: Iso28560Part3Input, options: Part3EncodeOptions = {}): Uint8Array {
  const layout = input.layout ?? 34;
  if (layout !== 32 && layout !== 34)
    throw new RfidEncodeError('rfid_invalid_value', 'layout must be 32 or 34', 'layout');
  const basic = new Uint8Array(34);
  const version = byteValue(input.version ?? 1, 'version', 15);
  const usage = resolveTypeOfUsage(input.typeOfUsage ?? 'circulating').class;
  basic[0] = input.usageNibble === 'high' ? (usage << 4) | version : (version << 4) | usage;
  basic[1] = byteValue(input.set?.parts ?? 1, 'set');
  basic[2] = byteValue(input.set?.part ?? 1, 'set');

  if (typeof input.primaryItemId !== 'string' || input.primaryItemId.length === 0) {
    throw new RfidEncodeError('rfid_invalid_value', 'a primary item identifier is required', 'primaryItemId');
  }
  const itemId = latin1Bytes(input.primaryItemId, 'primaryItemId');
  let extensions = [...(input.extensions ?? [])];
  if (itemId.length > 16) {
    if (layout === 32)
      throw new RfidEncodeError(
        'rfid_value_too_long',
        'an item id over 16 characters is kept in an extension block, for which a tag of 32 bytes has no room (the 34-byte layout has): use a tag with more memory, or ISO 28560-2',
        'primaryItemId',
      );
    basic[ITEM_ID_START] = LONG_ID_MARKER;
    const library = extensions.find((e) => e.kind === 'library');
    const withId = {
      ...(library ?? { kind: 'library' as const, mediaFormat: 0 }),
      itemId: input.primaryItemId,
    };
    extensions = library ? extensions.map((e) => (e === library ? withId : e)) : [withId, ...extensions];
  } else basic.set(itemId, ITEM_ID_START);

  const stored = (input.ownerLibrary ?? '').replace(/^([A-Za-z]{2})-/, '$1');
  const owner = latin1Bytes(stored, 'ownerLibrary');
  if (owner.length > layout - ISIL_START) {
    throw new RfidEncodeError(
      'rfid_value_too_long',
      `owner library has room for ${layout - ISIL_START} bytes`,
      'ownerLibrary',
    );
  }
  basic.set(owner, ISIL_START);
  const crc = part3Crc(basic, layout);
  basic[CRC_AT] = crc & 0xff;
  basic[CRC_AT + 1] = crc >> 8;

  const parts: Uint8Array[] = [basic.subarray(0, layout)];
  if (extensions.length > 0) {
    if (layout === 32)
      throw new RfidEncodeError('rfid_invalid_value', 'a 32-byte tag has no extension blocks', 'extensions');
    parts.push(...extensions.map(encodePart3Extension), Uint8Array.of(0));
  }
  const size = parts.reduce((sum, p) => sum + p.length, 0);
  if (options.memorySize !== undefined && size > options.memorySize) {
    throw new RfidEncodeError(
      'rfid_memory_too_small',
      `data needs ${size} bytes, the tag has ${options.memorySize}`,
    );
  }
  const out = new Uint8Array(Math.max(size, options.memorySize ?? 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
