/**
 * 3M proprietary HF format ("RFID501"), met on older collections: byte 0 = 0x04, byte 1 = part
 * (high nibble) / parts (low nibble), byte 3 item type, bytes 4..19 barcode, block 5 branch
 * (12 bits) + library (20 bits) big-endian, block 6 a signed custom value. No CRC.
 */

import { decodeFailure, type RfidDecodeResult, RfidEncodeError, type RfidWarning } from './errors.js';
import type { SetInformation } from './part2.js';

export interface ThreeMFields {
  primaryItemId: string;
  set: SetInformation;
  itemType: number;
  /** From block 5, when the memory reaches it. */
  branch?: number;
  library?: number;
  /** Block 6, signed 32-bit, when the memory reaches it. */
  custom?: number;
}

export interface ThreeMInput {
  primaryItemId: string;
  set?: SetInformation;
  itemType?: number;
  branch?: number;
  library?: number;
  custom?: number;
}

const MARKER = 0x04;

/** A 3M blank tag: 0x55 in the first 24 bytes, then four zero bytes. */
export function isThreeMBlank(memory: Uint8Array): boolean {
  if (memory.length < 28) return false;
  for (let i = 0; i < 24; i++) if (memory[i] !== 0x55) return false;
  return memory[24] === 0 && memory[25] === 0 && memory[26] === 0 && memory[27] === 0;
}

function barcode(memory: Uint8Array): { value: string; clean: boolean } {
  let value = '';
  let ended = false;
  let clean = true;
  for (let i = 4; i < 20; i++) {
    const c = memory[i]!;
    if (ended) {
      if (c !== 0) clean = false;
    } else if (c === 0) ended = true;
    else {
      if (c < 0x20 || c > 0x7e) clean = false;
      value += String.fromCharCode(c);
    }
  }
  return { value, clean };
}

/** Whether `memory` looks like a 3M-format tag (there is no CRC to tell). */
export function looksLikeThreeM(memory: Uint8Array): boolean {
  if (memory.length < 20 || memory[0] !== MARKER || memory[2] !== 0) return false;
  const code = barcode(memory);
  return code.clean && code.value.length > 0;
}

export function decode3mTag(memory: Uint8Array): RfidDecodeResult<ThreeMFields> {
  if (memory.length < 20) return decodeFailure('rfid_truncated', 'a 3M tag needs 20 bytes', 0);
  if (memory[0] !== MARKER)
    return decodeFailure('rfid_unknown_format', 'byte 0 is not the 3M marker 0x04', 0);
  const warnings: RfidWarning[] = [];
  const code = barcode(memory);
  if (!code.clean)
    warnings.push({ code: 'non_ascii_text', message: 'barcode holds control bytes', offset: 4 });
  if (code.value === '')
    warnings.push({ code: 'empty_primary_item_id', message: 'barcode is empty', offset: 4 });
  const fields: ThreeMFields = {
    primaryItemId: code.value,
    set: { parts: memory[1]! & 0x0f, part: memory[1]! >> 4 },
    itemType: memory[3]!,
  };
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  if (memory.length >= 24) {
    const block5 = view.getUint32(20);
    fields.branch = block5 >>> 20;
    fields.library = block5 & 0xfffff;
  }
  if (memory.length >= 28) fields.custom = view.getInt32(24);
  return { ok: true, fields, crc: 'absent', warnings };
}

function check(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RfidEncodeError('rfid_invalid_value', `${field} must be ${min}..${max}`, field);
  }
  return value;
}

/** Seven blocks (28 bytes) in 3M layout; for simulators and tests. */
export function encode3mTag(input: ThreeMInput): Uint8Array {
  const out = new Uint8Array(28);
  const view = new DataView(out.buffer);
  out[0] = MARKER;
  out[1] = (check(input.set?.part ?? 1, 'set', 0, 15) << 4) | check(input.set?.parts ?? 1, 'set', 0, 15);
  out[3] = check(input.itemType ?? 0, 'itemType', 0, 255);
  const id = input.primaryItemId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 16 || !/^[\x20-\x7e]+$/.test(id)) {
    throw new RfidEncodeError(
      'rfid_invalid_value',
      'barcode must be 1..16 printable ASCII characters',
      'primaryItemId',
    );
  }
  for (let i = 0; i < id.length; i++) out[4 + i] = id.charCodeAt(i);
  const branch = check(input.branch ?? 0, 'branch', 0, 0xfff);
  const library = check(input.library ?? 0, 'library', 0, 0xfffff);
  view.setUint32(20, ((branch << 20) | library) >>> 0);
  view.setInt32(24, check(input.custom ?? 0, 'custom', -0x80000000, 0x7fffffff));
  return out;
}
