/**
 * Virtual ISO 15693 tags (NXP ICODE SLIX style: 28 blocks of 4 bytes) with real memory
 * images: the public ISO 28560 vectors and blank tags.
 */
import { normalizeUid, type TagUid } from '../../src/protocols/iso15693/uid.js';
import {
  checkItemTag,
  ITEM_TAG_DSFID,
  type ItemTag,
  itemTagAfi,
  itemTagEas,
  itemTagMemory,
  SECURED_AFI,
} from './item-tags.js';

export interface VirtualTag {
  uid: TagUid;
  /** User memory in logical order, blockCount × blockSize bytes. */
  memory: Uint8Array;
  blockSize: number;
  blockCount: number;
  afi: number;
  dsfid: number;
  eas: boolean;
  icReference: number;
  lockedBlocks: Set<number>;
  afiLocked: boolean;
  /**
   * Its user memory cannot be read (a cracked inlay, a chip failing): it answers an inventory and
   * its system information, and each read of its blocks with an error of its own.
   */
  unreadable: boolean;
}

/** What a caller gives to place a tag: everything optional but a preset, memory or item helps. */
export interface TagSpec {
  uid?: string;
  /** A named memory image: V1, V2, V3, V5 (ISO 28560 vectors, AFI 0x07) or blank (AFI 0x00). */
  preset?: TagPreset;
  /** Memory as hex (logical order); padded with zeros to the tag size. */
  memoryHex?: string;
  /**
   * A library item (or patron card) by barcode, encoded as ISO 28560-3; its AFI and EAS bit follow
   * `secured` (an item secured, a patron card not, when not said; `eas` says otherwise). Not
   * together with `preset`, `memoryHex` or `afi`.
   */
  item?: ItemTag;
  afi?: number;
  dsfid?: number;
  eas?: boolean;
  blockCount?: number;
  /** Every read of its memory answered with the tag's error (see VirtualTag). */
  unreadable?: boolean;
}

/** Hex with or without spaces (`11 01 01` or `110101`) to bytes. */
export function hexBytes(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (!/^([0-9A-Fa-f]{2})*$/.test(digits)) throw new RangeError('memory must be whole hex bytes');
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}
const hex = hexBytes;

/**
 * A chip as its maker ships it: ISO 15693's AFI for no application family (0x00), no DSFID, user
 * memory all zero. Not 0x07, a library item on the shelf (ISO 28560-1), which the gates alarm on.
 */
export const BLANK_AFI = 0x00;

/**
 * ISO 28560 reference memory images (see shared/reference/rfid.md), each a library item on the shelf
 * (AFI 0x07), and a blank chip.
 */
export const TAG_PRESETS = {
  V1: {
    afi: SECURED_AFI,
    dsfid: 0x3e,
    memory: hex(
      '11 01 01 31 30 30 30 30 30 30 30 35 36 00 00 00 00 00 00 98 A4 44 4B 37 31 38 35 30 30 00 00 00 00 00',
    ),
  },
  V2: {
    afi: SECURED_AFI,
    dsfid: 0x3e,
    memory: hex(
      '11 01 01 31 30 30 30 30 30 30 31 33 36 00 00 00 00 00 00 36 15 44 4B 37 31 38 35 30 30 00 00 00 00 00 ' +
        '05 01 00 05 01 22 02 00 71 42 6F 67 76 6F 67 6E 65 6E 00 31 32 33 34 35 36 37 38 39 30 00 00 61 37 38 39 36 35 36 63 00',
    ),
  },
  V3: {
    afi: SECURED_AFI,
    dsfid: 0x3e,
    memory: hex(
      '11 01 01 31 31 32 32 33 33 34 34 00 00 00 00 00 00 00 00 51 3E 44 45 37 30 35 00 00 00 00 00 00',
    ),
  },
  V5: {
    afi: SECURED_AFI,
    dsfid: 0x06,
    memory: hex(
      '91 00 05 1C BE 99 1A 14 02 01 D0 14 02 04 B3 46 07 44 1C B6 E2 E3 35 D6 83 02 07 AC C0 9E BA A0 6F 6B 00 00',
    ),
  },
  blank: { afi: BLANK_AFI, dsfid: 0x00, memory: new Uint8Array(0) },
} as const;

export type TagPreset = keyof typeof TAG_PRESETS;

let serial = 0x100000;

/** A fresh NXP-style UID (E004 01 …). */
export function nextUid(): TagUid {
  serial++;
  return `E0040100${serial.toString(16).toUpperCase().padStart(8, '0')}`;
}

export function createTag(spec: TagSpec = {}): VirtualTag {
  const blockSize = 4;
  const item = spec.item === undefined ? undefined : checkItemTag(spec.item);
  if (
    item !== undefined &&
    (spec.preset !== undefined || spec.memoryHex !== undefined || spec.afi !== undefined)
  )
    throw new RangeError('an item tag is made from its barcode: give no preset, memoryHex or afi with it');
  const preset = TAG_PRESETS[spec.preset ?? 'blank'];
  const content =
    item !== undefined
      ? itemTagMemory(item)
      : spec.memoryHex !== undefined
        ? hex(spec.memoryHex)
        : preset.memory;
  const blockCount = Math.max(spec.blockCount ?? 28, Math.ceil(content.length / blockSize));
  if (blockCount > 256) throw new RangeError('a tag holds at most 256 blocks');
  const memory = new Uint8Array(blockCount * blockSize);
  memory.set(content);
  return {
    uid: spec.uid ? normalizeUid(spec.uid) : nextUid(),
    memory,
    blockSize,
    blockCount,
    // An item's by its use; a memory image given (a library item someone encoded) as on the shelf;
    // a preset's its own.
    afi:
      spec.afi ??
      (item !== undefined ? itemTagAfi(item) : spec.memoryHex !== undefined ? SECURED_AFI : preset.afi),
    dsfid: spec.dsfid ?? (item !== undefined ? ITEM_TAG_DSFID : preset.dsfid),
    // An item's by whether it is secured (an item on the shelf alarms by AFI and EAS alike); else off.
    eas: spec.eas ?? (item !== undefined ? itemTagEas(item) : false),
    icReference: 0x01,
    lockedBlocks: new Set(),
    afiLocked: false,
    unreadable: spec.unreadable ?? false,
  };
}

/**
 * Changes a tag the simulator holds, as a tag spec placed with its uid asks: what the spec gives is
 * set as on a new tag (an item its memory, AFI, DSFID and EAS bit; a preset its memory, AFI and
 * DSFID; a memory image its memory), the
 * rest kept. Throws RangeError, the tag untouched, for a spec no tag could be made from.
 */
export function changeTag(tag: VirtualTag, spec: TagSpec): void {
  const content = spec.preset !== undefined || spec.memoryHex !== undefined || spec.item !== undefined;
  const made = createTag({
    ...spec,
    uid: tag.uid,
    // Its own memory, resized by a blockCount given, when the spec gives none.
    ...(content ? {} : { memoryHex: Buffer.from(tag.memory).toString('hex') }),
  });
  const labelled = spec.item !== undefined || spec.preset !== undefined;
  if (content || spec.blockCount !== undefined) {
    tag.memory = made.memory;
    tag.blockCount = made.blockCount;
  }
  if (spec.afi !== undefined || labelled) tag.afi = made.afi;
  if (spec.dsfid !== undefined || labelled) tag.dsfid = made.dsfid;
  if (spec.eas !== undefined || spec.item !== undefined) tag.eas = made.eas;
  if (spec.unreadable !== undefined) tag.unreadable = made.unreadable;
}

/** The tag as JSON for the control API. */
export function tagJson(tag: VirtualTag, onPad: boolean): Record<string, unknown> {
  return {
    uid: tag.uid,
    onPad,
    afi: tag.afi,
    dsfid: tag.dsfid,
    eas: tag.eas,
    blockSize: tag.blockSize,
    blockCount: tag.blockCount,
    lockedBlocks: [...tag.lockedBlocks].sort((a, b) => a - b),
    unreadable: tag.unreadable,
    memoryHex: Buffer.from(tag.memory).toString('hex').toUpperCase(),
  };
}
