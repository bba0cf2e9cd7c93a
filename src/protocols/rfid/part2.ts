/**
 * ISO 28560-2 decoder: ISO/IEC 15962 object-identifier encoding (DSFID 0x06). Each element is
 * precursor [OID extension] [offset] length data [pads]; a 00 precursor or the end of memory
 * ends the data. Corrupt memory gives a typed result, never an exception.
 */

import { COMPACTION_BY_CODE, type Compaction, CompactionError, decodeLength, expand } from './compaction.js';
import { decodeFailure, type RfidDecodeResult, type RfidWarning } from './errors.js';
import { expandIsil } from './isil-compaction.js';
import {
  contentParameterOids,
  PART2_ELEMENT_BY_OID,
  type Part2ElementSpec,
  type Part2TextElementName,
} from './part2-elements.js';
import { type TypeOfUsage, typeOfUsage } from './usage.js';

export interface Part2Element {
  readonly oid: number;
  /** The element's field name (`primaryItemId` …), or `oid<n>` for OIDs the standard does not name. */
  readonly name: string;
  readonly compaction: Compaction;
  /** Text for text, ISIL and set elements; the bytes of application-defined bitmap, usage or unknown data. */
  readonly value: string | Uint8Array;
  /** Pad bytes after the data when the precursor's offset flag was set (0 is kept: the flag was there). */
  readonly offset?: number;
  /** Byte offset of the precursor. */
  readonly position: number;
}

export interface SetInformation {
  /** Number of parts in the set (1 for a single item). */
  readonly parts: number;
  /** This part's ordinal number, from 1. */
  readonly part: number;
}

type Part2TextFields = { [K in Exclude<Part2TextElementName, 'primaryItemId'>]?: string };

export interface Iso28560Part2Fields extends Part2TextFields {
  /** '' only where OID 1 may be absent (UHF user memory). */
  primaryItemId: string;
  /** OIDs the content parameter announces. */
  contentParameter?: number[];
  set?: SetInformation;
  /** Set information as written ("NNPP"). */
  setInformation?: string;
  typeOfUsage?: TypeOfUsage;
  /** Every element in tag order, for round trips and for OIDs without a field. */
  elements: Part2Element[];
}

export interface Part2DecodeOptions {
  /** OID 1 must come first (HF tags). UHF user memory carries it in the EPC instead. Default true. */
  requirePrimaryItemId?: boolean;
}

/** Splits "NNPP" into parts and part; restores a leading zero lost to integer compaction. */
export function parseSetInformation(text: string, fromInteger: boolean): SetInformation | undefined {
  const digits = fromInteger && text.length % 2 === 1 ? `0${text}` : text;
  if (!/^[0-9]+$/.test(digits) || digits.length % 2 !== 0) return undefined;
  const half = digits.length / 2;
  return { parts: Number(digits.slice(0, half)), part: Number(digits.slice(half)) };
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function elementValue(
  spec: Part2ElementSpec | undefined,
  compaction: Compaction,
  data: Uint8Array,
): string | Uint8Array {
  if (compaction !== 'application') {
    if ((spec?.kind === 'bitmap' || spec?.kind === 'usage') && compaction === 'integer') return data;
    return expand(compaction, data);
  }
  if (!spec) return data;
  switch (spec.kind) {
    case 'isil':
      return expandIsil(data);
    case 'bitmap':
    case 'usage':
      return data;
    default:
      return latin1(data);
  }
}

export function decodeIso28560Part2(
  memory: Uint8Array,
  options: Part2DecodeOptions = {},
): RfidDecodeResult<Iso28560Part2Fields> {
  const requirePrimary = options.requirePrimaryItemId ?? true;
  const warnings: RfidWarning[] = [];
  const elements: Part2Element[] = [];
  const fields: Iso28560Part2Fields = { primaryItemId: '', elements };
  const seen = new Set<number>();
  let pos = 0;
  let bitmap: Uint8Array | undefined;
  while (pos < memory.length) {
    const position = pos;
    const precursor = memory[pos++]!;
    if (precursor === 0) break;
    const compaction = COMPACTION_BY_CODE[(precursor >> 4) & 0x07]!;
    let oid = precursor & 0x0f;
    if (oid === 0x0f) {
      const extension = memory[pos++];
      if (extension === undefined)
        return decodeFailure('rfid_truncated', 'tag data ends inside an OID', position);
      oid = 15 + extension;
    }
    if (oid === 0) return decodeFailure('rfid_malformed', 'relative OID 0 is not a data element', position);
    let offset: number | undefined;
    if (precursor & 0x80) {
      offset = memory[pos++];
      if (offset === undefined)
        return decodeFailure('rfid_truncated', 'tag data ends inside an offset', position);
    }
    const length = decodeLength(memory, pos);
    if (!length) return decodeFailure('rfid_truncated', 'tag data ends inside a length', pos);
    pos += length.size;
    if (pos + length.length > memory.length) {
      return decodeFailure('rfid_truncated', `element OID ${oid} runs past the end of memory`, position);
    }
    const data = memory.subarray(pos, pos + length.length);
    pos += length.length;
    if (offset !== undefined) {
      if (pos + offset > memory.length) {
        warnings.push({
          code: 'pad_truncated',
          message: `pad bytes of OID ${oid} run past the end`,
          offset: pos,
        });
        pos = memory.length;
      } else {
        // ISO/IEC 15962 pads are 00 (some encoders write 80): anything else is data, not padding.
        if (memory.subarray(pos, pos + offset).some((b) => b !== 0x00 && b !== 0x80))
          warnings.push({
            code: 'pad_not_blank',
            message: `pad bytes of OID ${oid} hold data`,
            offset: pos,
          });
        pos += offset;
      }
    }

    if (elements.length === 0 && requirePrimary && oid !== 1) {
      return decodeFailure(
        'rfid_missing_primary_item_id',
        'the first element is not the primary item identifier',
        position,
      );
    }
    if (seen.has(oid)) {
      if (oid === 1)
        return decodeFailure('rfid_repeated_primary_item_id', 'primary item identifier repeated', position);
      warnings.push({
        code: 'repeated_element',
        message: `OID ${oid} repeated; the first is kept`,
        offset: position,
      });
    }

    const spec = PART2_ELEMENT_BY_OID.get(oid);
    let value: string | Uint8Array;
    try {
      value = elementValue(spec, compaction, data);
    } catch (error) {
      if (error instanceof CompactionError) {
        return decodeFailure('rfid_bad_compaction', `OID ${oid}: ${error.message}`, position);
      }
      throw error;
    }
    const element: { -readonly [K in keyof Part2Element]: Part2Element[K] } = {
      oid,
      name: spec?.field ?? `oid${oid}`,
      compaction,
      value,
      position,
    };
    if (offset !== undefined) element.offset = offset;
    elements.push(element);
    if (seen.has(oid)) continue;
    seen.add(oid);
    if (!spec) {
      warnings.push({
        code: 'unknown_element',
        message: `OID ${oid} is not an ISO 28560-1 data element`,
        offset: position,
      });
      continue;
    }
    applyElement(fields, spec, element, warnings, (b) => {
      bitmap = b;
    });
  }

  if (requirePrimary && !seen.has(1)) {
    return decodeFailure('rfid_missing_primary_item_id', 'no primary item identifier', 0);
  }
  if (bitmap && !announcesExactly(bitmap, seen)) {
    warnings.push({
      code: 'content_parameter_mismatch',
      message: 'the content parameter does not list exactly the elements present',
    });
  }
  return { ok: true, fields, crc: 'absent', warnings };
}

/** Whether the content parameter's bits are set for exactly the OIDs (3 and up) present. */
function announcesExactly(bitmap: Uint8Array, present: ReadonlySet<number>): boolean {
  let count = 0;
  for (const oid of present) {
    if (oid < 3) continue;
    count++;
    const byte = bitmap[(oid - 3) >> 3];
    if (byte === undefined || ((byte >> (7 - ((oid - 3) & 7))) & 1) === 0) return false;
  }
  let bits = 0;
  for (const byte of bitmap) for (let b = byte; b !== 0; b &= b - 1) bits++;
  return bits === count;
}

function applyElement(
  fields: Iso28560Part2Fields,
  spec: Part2ElementSpec,
  element: Part2Element,
  warnings: RfidWarning[],
  setBitmap: (bitmap: Uint8Array) => void,
): void {
  const { value } = element;
  switch (spec.kind) {
    case 'bitmap': {
      const bitmap =
        typeof value === 'string' ? Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff) : value;
      setBitmap(bitmap);
      fields.contentParameter = contentParameterOids(bitmap);
      return;
    }
    case 'usage': {
      const byte = typeof value === 'string' ? Number.parseInt(value, 10) : value[value.length - 1];
      if (byte !== undefined && Number.isInteger(byte))
        fields.typeOfUsage = typeOfUsage(byte >> 4, byte & 0x0f);
      return;
    }
    case 'set': {
      const text = typeof value === 'string' ? value : latin1(value);
      const set = parseSetInformation(text, element.compaction === 'integer');
      fields.setInformation =
        set && element.compaction === 'integer' && text.length % 2 === 1 ? `0${text}` : text;
      if (set) fields.set = set;
      else warnings.push({ code: 'invalid_set_information', message: 'set information is not NNPP digits' });
      return;
    }
    default: {
      const text = typeof value === 'string' ? value : latin1(value);
      (fields as unknown as Record<string, string>)[spec.field] = text;
    }
  }
}
