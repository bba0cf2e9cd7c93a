/**
 * ISO 28560-2 encoder. `encodeIso28560Part2Elements` writes elements exactly as given (the
 * mirror of the decoder's `elements`); `encodeIso28560Part2` builds them from item data,
 * picks the most compact compaction for each value, writes the content parameter, and by
 * default aligns the primary item identifier and the last element to block boundaries so the
 * identifier's blocks can be locked.
 */

import {
  COMPACTION_CODES,
  type Compaction,
  CompactionError,
  compact,
  compactAs,
  encodeLength,
  expand,
} from './compaction.js';
import { RfidEncodeError } from './errors.js';
import { compactIsil, expandIsil } from './isil-compaction.js';
import type { Iso28560Part2Fields, SetInformation } from './part2.js';
import { contentParameterBitmap, PART2_ELEMENT_BY_FIELD, PART2_ELEMENT_BY_OID } from './part2-elements.js';
import { resolveTypeOfUsage, type TypeOfUsageInput } from './usage.js';

export interface Part2ElementInput {
  readonly oid: number;
  /** Text, or the bytes of application-defined data (content parameter, type of usage). */
  readonly value: string | Uint8Array;
  /** Omitted: the most compact that round-trips (the ISIL compaction counts for ISIL elements). */
  readonly compaction?: Compaction;
  /** Pad bytes after the data; present (even 0) sets the offset flag. */
  readonly offset?: number;
}

export interface Part2WriteOptions {
  /** Zero-fill the result to this many bytes (the tag's user memory), ending any older data. */
  memorySize?: number;
}

type TextInput = Omit<Iso28560Part2Fields, 'elements' | 'set' | 'typeOfUsage' | 'contentParameter'>;

/** What the desk writes. Decoded `Iso28560Part2Fields` are accepted as they are. */
export interface Iso28560Part2Input extends TextInput {
  set?: SetInformation | undefined;
  typeOfUsage?: TypeOfUsageInput | undefined;
}

export interface Part2EncodeOptions extends Part2WriteOptions {
  /** OIDs in the order to write them; OID 1 always first, unlisted ones after in OID order. */
  order?: readonly number[];
  /** Tag block size for alignment. Default 4. */
  blockSize?: number;
  /** Pad the primary item identifier (offset flag) and the last element to block boundaries. Default true. */
  align?: boolean;
}

function encodedData(element: Part2ElementInput): { compaction: Compaction; data: Uint8Array } {
  const spec = PART2_ELEMENT_BY_OID.get(element.oid);
  const field = spec?.field ?? `oid${element.oid}`;
  const { value } = element;
  if (typeof value !== 'string') {
    if (element.compaction !== undefined && element.compaction !== 'application') {
      throw new RfidEncodeError('rfid_invalid_value', 'bytes can only be written application-defined', field);
    }
    return { compaction: 'application', data: value };
  }
  const isil = spec?.kind === 'isil';
  if (element.compaction === 'application') {
    const data = isil ? compactIsil(value) : undefined;
    if (!data || expandIsil(data) !== value) {
      throw new RfidEncodeError('rfid_unencodable', 'value cannot be written application-defined', field);
    }
    return { compaction: 'application', data };
  }
  if (element.compaction !== undefined) {
    const data = compactAs(element.compaction, value);
    let same = false;
    try {
      same = data !== undefined && expand(element.compaction, data) === value;
    } catch {
      same = false;
    }
    if (!data || !same) {
      throw new RfidEncodeError(
        'rfid_unencodable',
        `value cannot be written with ${element.compaction} compaction`,
        field,
      );
    }
    return { compaction: element.compaction, data };
  }
  let best: { compaction: Compaction; data: Uint8Array };
  try {
    best = compact(value);
  } catch (error) {
    if (error instanceof CompactionError) throw new RfidEncodeError('rfid_unencodable', error.message, field);
    throw error;
  }
  if (isil) {
    const data = compactIsil(value);
    if (data && data.length <= best.data.length && expandIsil(data) === value)
      best = { compaction: 'application', data };
  }
  return best;
}

function precursorBytes(oid: number, compaction: Compaction, offset: number | undefined): number[] {
  if (!Number.isInteger(oid) || oid < 1 || oid > 15 + 255) {
    throw new RfidEncodeError('rfid_invalid_value', 'relative OID must be 1..270', `oid${oid}`);
  }
  const flag = offset === undefined ? 0 : 0x80;
  const head = flag | (COMPACTION_CODES[compaction] << 4) | (oid >= 15 ? 0x0f : oid);
  const bytes = oid >= 15 ? [head, oid - 15] : [head];
  if (offset !== undefined) {
    if (!Number.isInteger(offset) || offset < 0 || offset > 255) {
      throw new RfidEncodeError('rfid_invalid_value', 'offset must be 0..255', `oid${oid}`);
    }
    bytes.push(offset);
  }
  return bytes;
}

function elementBytes(
  oid: number,
  compaction: Compaction,
  data: Uint8Array,
  offset: number | undefined,
): number[] {
  return [
    ...precursorBytes(oid, compaction, offset),
    ...encodeLength(data.length),
    ...data,
    ...new Array<number>(offset ?? 0).fill(0),
  ];
}

function finish(bytes: number[], options: Part2WriteOptions): Uint8Array {
  if (options.memorySize === undefined) return Uint8Array.from(bytes);
  if (bytes.length > options.memorySize) {
    throw new RfidEncodeError(
      'rfid_memory_too_small',
      `data needs ${bytes.length} bytes, the tag has ${options.memorySize}`,
    );
  }
  const out = new Uint8Array(options.memorySize);
  out.set(bytes);
  return out;
}

/** Writes elements exactly in the given order, compaction and offsets. */
export function encodeIso28560Part2Elements(
  elements: readonly Part2ElementInput[],
  options: Part2WriteOptions = {},
): Uint8Array {
  const bytes: number[] = [];
  for (const element of elements) {
    const { compaction, data } = encodedData(element);
    bytes.push(...elementBytes(element.oid, compaction, data, element.offset));
  }
  return finish(bytes, options);
}

function setText(set: SetInformation): string {
  for (const n of [set.parts, set.part]) {
    if (!Number.isInteger(n) || n < 0 || n > 9999) {
      throw new RfidEncodeError('rfid_invalid_value', 'set parts and part must be 0..9999', 'set');
    }
  }
  const width = Math.max(2, String(set.parts).length, String(set.part).length);
  return String(set.parts).padStart(width, '0') + String(set.part).padStart(width, '0');
}

/** Builds the element list of a tag: OID 1, the content parameter, then the optional elements. */
export function part2ElementsOf(input: Iso28560Part2Input): Part2ElementInput[] {
  if (typeof input.primaryItemId !== 'string' || input.primaryItemId.length === 0) {
    throw new RfidEncodeError('rfid_invalid_value', 'a primary item identifier is required', 'primaryItemId');
  }
  const optional: Part2ElementInput[] = [];
  for (const [field, raw] of Object.entries(input)) {
    if (raw === undefined || field === 'primaryItemId') continue;
    const spec = PART2_ELEMENT_BY_FIELD.get(field === 'set' ? 'setInformation' : field);
    if (!spec || spec.oid === 2) continue;
    if (field === 'setInformation' && input.set !== undefined) continue;
    let value: string | Uint8Array;
    if (field === 'set') value = setText(raw as SetInformation);
    else if (field === 'typeOfUsage') {
      const usage = resolveTypeOfUsage(raw as TypeOfUsageInput);
      value = Uint8Array.of((usage.class << 4) | usage.subclass);
    } else if (typeof raw === 'string') {
      if (raw.length === 0) continue;
      value = raw;
    } else continue;
    optional.push({ oid: spec.oid, value });
  }
  optional.sort((a, b) => a.oid - b.oid);
  return [
    { oid: 1, value: input.primaryItemId },
    { oid: 2, value: contentParameterBitmap(optional.map((e) => e.oid)) },
    ...optional,
  ];
}

/** Encodes item data as ISO 28560-2 user memory (no DSFID byte: that lives in the tag's system info). */
export function encodeIso28560Part2(input: Iso28560Part2Input, options: Part2EncodeOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? 4;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 64) {
    throw new RfidEncodeError('rfid_invalid_value', 'block size must be 1..64');
  }
  const align = options.align ?? true;
  const elements = part2ElementsOf(input);
  if (options.order) {
    const rank = new Map(options.order.map((oid, i) => [oid, i]));
    const rest = elements.slice(1);
    rest.sort((a, b) => (rank.get(a.oid) ?? 1000 + a.oid) - (rank.get(b.oid) ?? 1000 + b.oid));
    elements.splice(1, rest.length, ...rest);
  }
  const bytes: number[] = [];
  elements.forEach((element, index) => {
    const { compaction, data } = encodedData(element);
    const first = index === 0;
    const last = index === elements.length - 1;
    let offset: number | undefined;
    if (align && (first || last)) {
      const size = elementBytes(element.oid, compaction, data, 0).length;
      offset = (blockSize - ((bytes.length + size) % blockSize)) % blockSize;
    }
    bytes.push(...elementBytes(element.oid, compaction, data, offset));
  });
  return finish(bytes, options);
}
