/**
 * What the pad knows of each tag's memory: the images it read (system info and user memory,
 * decoded as an item), by UID, the oldest of a tag no longer on the pad let go past a bound. How a
 * tag is read and how its memory is described to the world; what the pad does with it is
 * rfid-pad.ts's.
 */
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import { decodeItemTag } from '../../protocols/rfid/index.js';
import type { RfidReader } from './reader.js';
import type { TagItem } from './tag-item.js';

/** A tag as the pad knows it. */
export interface PadTag {
  uid: TagUid;
  dsfid?: number;
  afi?: number;
  /** AFI equals the configured secured value (undefined when the AFI is unknown). */
  secured?: boolean;
  blockSize?: number;
  blockCount?: number;
  /** User memory in logical order, as read. */
  memory?: Uint8Array;
  item: TagItem | null;
  /** Why the memory could not be read or decoded. */
  readError?: string;
}

/** One tag's memory as read: its system info (block size and count filled in) and user memory. */
export interface TagImage {
  info: SystemInfo;
  memory: Uint8Array;
}

interface CachedTag extends TagImage {
  item: TagItem | null;
  decodeError?: string;
}

/** Reads a tag's system info and its whole user memory. Throws what the reader throws. */
export async function readTagImage(reader: RfidReader, uid: TagUid): Promise<TagImage> {
  const info = await reader.systemInfo(uid);
  const blockSize = info.blockSize ?? 4;
  const blockCount = info.blockCount ?? 28;
  const memory = await reader.readBlocks(uid, 0, blockCount);
  return { info: { ...info, blockSize, blockCount }, memory };
}

export class TagMemories {
  private readonly images = new Map<TagUid, CachedTag>();

  /**
   * `size`: images kept at most; `securedAfi`: the AFI that means secured; `onPad`: whether a tag
   * lies on the pad, its image never the one let go (the pad tracks fewer tags than `size`).
   */
  constructor(
    private readonly size: number,
    private readonly securedAfi: number,
    private readonly onPad: (uid: TagUid) => boolean,
  ) {}

  has(uid: TagUid): boolean {
    return this.images.has(uid);
  }

  info(uid: TagUid): SystemInfo | undefined {
    return this.images.get(uid)?.info;
  }

  memory(uid: TagUid): Uint8Array | undefined {
    return this.images.get(uid)?.memory;
  }

  item(uid: TagUid): TagItem | null | undefined {
    return this.images.get(uid)?.item;
  }

  forget(uid: TagUid): void {
    this.images.delete(uid);
  }

  /**
   * Keeps an image read or written, decoded; past the bound, the oldest image of a tag no longer
   * on the pad is let go: one still there must be known as it is (its item, and whether it changed
   * while the reader was away).
   */
  remember(uid: TagUid, info: SystemInfo, memory: Uint8Array): void {
    const decoded = decodeItemTag(memory, info.dsfid === undefined ? {} : { dsfid: info.dsfid });
    const entry: CachedTag =
      'error' in decoded
        ? { info, memory, item: null, decodeError: decoded.error }
        : { info, memory, item: decoded };
    this.images.delete(uid);
    this.images.set(uid, entry);
    if (this.images.size <= this.size) return;
    for (const held of this.images.keys()) {
      if (this.onPad(held)) continue;
      this.images.delete(held);
      if (this.images.size <= this.size) return;
    }
  }

  /** The AFI the pad wrote to a tag itself, once verified. */
  noteAfi(uid: TagUid, afi: number): void {
    const cached = this.images.get(uid);
    if (cached) cached.info = { ...cached.info, afi };
  }

  /** Whether a tag read again holds what the pad kept of it: memory, AFI and DSFID. */
  holds(uid: TagUid, image: TagImage): boolean {
    const cached = this.images.get(uid);
    return (
      cached !== undefined &&
      cached.info.afi === image.info.afi &&
      cached.info.dsfid === image.info.dsfid &&
      sameBytes(cached.memory, image.memory)
    );
  }

  describe(uid: TagUid): PadTag {
    const cached = this.images.get(uid);
    if (!cached) return { uid, item: null };
    const { info } = cached;
    return {
      uid,
      item: cached.item,
      memory: cached.memory,
      ...(info.dsfid === undefined ? {} : { dsfid: info.dsfid }),
      ...(info.afi === undefined ? {} : { afi: info.afi, secured: info.afi === this.securedAfi }),
      ...(info.blockSize === undefined ? {} : { blockSize: info.blockSize }),
      ...(info.blockCount === undefined ? {} : { blockCount: info.blockCount }),
      ...(cached.decodeError ? { readError: cached.decodeError } : {}),
    };
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
