/**
 * ISO 28560-3 extension blocks after the basic block: `[length][id lo][id hi][xor][payload…]`,
 * the XOR of all `length` bytes is 0, a 00 length ends the list. Text fields inside a block are
 * separated by NUL; trailing empty fields may be left out.
 */

import { RfidEncodeError, type RfidWarning } from './errors.js';
import { mediaFormatName } from './usage.js';

export const LIBRARY_EXTENSION_ID = 1;
export const ACQUISITION_EXTENSION_ID = 2;

export interface LibraryExtension {
  readonly kind: 'library';
  readonly id: 1;
  /** Media format (other), ISO 28560-1: 1 = book. */
  readonly mediaFormat: number;
  readonly mediaFormatName?: string;
  /** A primary item identifier longer than 16 bytes (basic block byte 3 = 0x01). */
  readonly itemId?: string;
  /** Owner institution when it does not fit the basic block. */
  readonly ownerLibrary?: string;
  readonly xorValid: boolean;
}

export interface AcquisitionExtension {
  readonly kind: 'acquisition';
  readonly id: 2;
  readonly supplierId: string;
  readonly productId: string;
  readonly orderNumber: string;
  readonly supplierInvoiceNumber: string;
  readonly xorValid: boolean;
}

export interface UnknownExtension {
  readonly kind: 'unknown';
  readonly id: number;
  readonly payload: Uint8Array;
  readonly xorValid: boolean;
}

export type Part3Extension = LibraryExtension | AcquisitionExtension | UnknownExtension;

export type Part3ExtensionInput =
  | { kind: 'library'; mediaFormat?: number; itemId?: string; ownerLibrary?: string }
  | {
      kind: 'acquisition';
      supplierId?: string;
      productId?: string;
      orderNumber?: string;
      supplierInvoiceNumber?: string;
    }
  | { kind: 'unknown'; id: number; payload: Uint8Array };

function textFields(payload: Uint8Array): string[] {
  const fields: string[] = [''];
  for (const byte of payload) {
    if (byte === 0) fields.push('');
    else fields[fields.length - 1] += String.fromCharCode(byte);
  }
  return fields;
}

function decodeBlock(id: number, payload: Uint8Array, xorValid: boolean): Part3Extension {
  if (id === LIBRARY_EXTENSION_ID && payload.length >= 1) {
    const [itemId = '', ownerLibrary = ''] = textFields(payload.subarray(1));
    const name = mediaFormatName(payload[0]!);
    return {
      kind: 'library',
      id: 1,
      mediaFormat: payload[0]!,
      ...(name === undefined ? {} : { mediaFormatName: name }),
      ...(itemId ? { itemId } : {}),
      ...(ownerLibrary ? { ownerLibrary } : {}),
      xorValid,
    };
  }
  if (id === ACQUISITION_EXTENSION_ID) {
    const [supplierId = '', productId = '', orderNumber = '', supplierInvoiceNumber = ''] =
      textFields(payload);
    return {
      kind: 'acquisition',
      id: 2,
      supplierId,
      productId,
      orderNumber,
      supplierInvoiceNumber,
      xorValid,
    };
  }
  return { kind: 'unknown', id, payload: Uint8Array.from(payload), xorValid };
}

/** Reads extension blocks from `start`; problems become warnings, never a failed decode. */
export function decodePart3Extensions(
  memory: Uint8Array,
  start: number,
  warnings: RfidWarning[],
): Part3Extension[] {
  const blocks: Part3Extension[] = [];
  let pos = start;
  while (pos < memory.length) {
    const length = memory[pos]!;
    if (length === 0) return blocks;
    if (length < 4 || pos + length > memory.length) {
      warnings.push({
        code: 'extension_truncated',
        message: 'an extension block runs past the end of memory',
        offset: pos,
      });
      return blocks;
    }
    let xor = 0;
    for (let i = pos; i < pos + length; i++) xor ^= memory[i]!;
    const xorValid = xor === 0;
    if (!xorValid) {
      warnings.push({
        code: 'extension_xor_mismatch',
        message: 'extension block XOR check fails',
        offset: pos,
      });
    }
    const id = memory[pos + 1]! | (memory[pos + 2]! << 8);
    blocks.push(decodeBlock(id, memory.subarray(pos + 4, pos + length), xorValid));
    pos += length;
  }
  if (blocks.length > 0) {
    warnings.push({
      code: 'extension_unterminated',
      message: 'extension blocks reach the end of memory without a 00',
    });
  }
  return blocks;
}

function ascii(text: string, field: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c > 0xff)
      throw new RfidEncodeError('rfid_unencodable', 'text holds NUL or non-Latin-1', field);
    out.push(c);
  }
  return out;
}

function joinFields(fields: ReadonlyArray<readonly [string, string | undefined]>): number[] {
  const values = fields.map(([, value]) => value ?? '');
  while (values.length > 0 && values[values.length - 1] === '') values.pop();
  const out: number[] = [];
  values.forEach((value, i) => {
    if (i > 0) out.push(0);
    out.push(...ascii(value, fields[i]![0]));
  });
  return out;
}

export function encodePart3Extension(block: Part3ExtensionInput): Uint8Array {
  let id: number;
  let payload: number[];
  switch (block.kind) {
    case 'library': {
      const mediaFormat = block.mediaFormat ?? 0;
      if (!Number.isInteger(mediaFormat) || mediaFormat < 0 || mediaFormat > 255) {
        throw new RfidEncodeError('rfid_invalid_value', 'media format must be 0..255', 'mediaFormat');
      }
      id = LIBRARY_EXTENSION_ID;
      payload = [
        mediaFormat,
        ...joinFields([
          ['itemId', block.itemId],
          ['ownerLibrary', block.ownerLibrary],
        ]),
      ];
      break;
    }
    case 'acquisition':
      id = ACQUISITION_EXTENSION_ID;
      payload = joinFields([
        ['supplierId', block.supplierId],
        ['productId', block.productId],
        ['orderNumber', block.orderNumber],
        ['supplierInvoiceNumber', block.supplierInvoiceNumber],
      ]);
      break;
    case 'unknown':
      if (!Number.isInteger(block.id) || block.id < 1 || block.id > 0xffff) {
        throw new RfidEncodeError('rfid_invalid_value', 'extension block id must be 1..65535', 'extensions');
      }
      id = block.id;
      payload = [...block.payload];
      break;
  }
  const length = payload.length + 4;
  if (length > 255)
    throw new RfidEncodeError('rfid_value_too_long', 'extension block longer than 255 bytes', 'extensions');
  const bytes = [length, id & 0xff, id >> 8, 0, ...payload];
  bytes[3] = bytes.reduce((xor, b) => xor ^ b, 0);
  return Uint8Array.from(bytes);
}
