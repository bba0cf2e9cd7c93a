/**
 * What the pad knows of each tag's memory: the images it read (system info and user memory,
 * decoded as an item), by UID, the oldest of a tag no longer on the pad let go past a bound. How a
 * tag is read and how its memory is described to the world; when a tag on the pad is read is
 * tag-reads.ts's, what the pad does with it rfid-pad.ts's.
 */
import { describeError } from '../../core/errors.js';
import type { SystemInfo } from '../../protocols/iso15693/system-info.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import { decodeItemTag } from '../../protocols/rfid/index.js';
import type { RfidReader } from './reader.js';
import { alarmsAsSecured, type SecurityOptions } from './security.js';
import type { TagItem } from './tag-item.js';

/** A tag as the pad knows it. */
export interface PadTag {
  uid: TagUid;
  dsfid?: number;
  afi?: number;
  /** The NXP EAS bit, when the desk secures by it and its reader can read it. */
  eas?: boolean;
  /**
   * Secured as the desk secures items: by the AFI (it equals the secured value), by the EAS bit, or
   * by both (either set would alarm a gate: secured; neither: not). Undefined when what decides is
   * not known (the AFI not read, a reader that cannot read EAS).
   */
  secured?: boolean;
  blockSize?: number;
  blockCount?: number;
  /** User memory in logical order, as read. */
  memory?: Uint8Array;
  item: TagItem | null;
  /** Why the memory could not be read or decoded. */
  readError?: string;
}

/**
 * One tag's memory as read: its system info (block size and count filled in), user memory, and its
 * EAS bit when that was read. A tag whose user memory could not be read after its system info was
 * has no memory, and says why (`readError`): its AFI is known all the same.
 */
export interface TagImage {
  info: SystemInfo;
  memory?: Uint8Array;
  eas?: boolean;
  readError?: string;
}

/** How the desk secures items: what decides whether a tag is `secured`. */
export type TagSecurity = Pick<SecurityOptions, 'method' | 'securedAfi' | 'unsecuredAfi'>;

interface CachedTag extends TagImage {
  item: TagItem | null;
  decodeError?: string;
}

/**
 * Reads a tag's system info and its whole user memory, and with `eas` its EAS bit (the EAS Alarm
 * command). Throws what the reader throws, but for a tag whose memory read fails after its system
 * info was read: that is an image without memory, the error's code its `readError`, and its EAS
 * bit if the tag still answers that — what was read of the tag is kept. A reader that stopped
 * answering, or whose link closed, is no failing tag: that throws.
 */
export async function readTagImage(
  reader: RfidReader,
  uid: TagUid,
  options: { eas: boolean },
): Promise<TagImage> {
  const info = await reader.systemInfo(uid);
  const blockSize = info.blockSize ?? 4;
  const blockCount = info.blockCount ?? 28;
  const image: TagImage = { info: { ...info, blockSize, blockCount } };
  try {
    image.memory = await reader.readBlocks(uid, 0, blockCount);
  } catch (error) {
    if (!reader.isOpen || reader.unansweredInARow > 0) throw error;
    image.readError = describeError(error).code;
  }
  if (!options.eas) return image;
  if (image.memory !== undefined) image.eas = await reader.easAlarm(uid);
  else {
    try {
      image.eas = await reader.easAlarm(uid);
    } catch (error) {
      if (!reader.isOpen || reader.unansweredInARow > 0) throw error;
    }
  }
  return image;
}

export class TagMemories {
  private readonly images = new Map<TagUid, CachedTag>();

  /**
   * `size`: images kept at most; `security`: how the desk secures items; `onPad`: whether a tag
   * lies on the pad, its image never the one let go (the pad tracks fewer tags than `size`).
   */
  constructor(
    private readonly size: number,
    private readonly security: TagSecurity,
    private readonly onPad: (uid: TagUid) => boolean,
  ) {}

  /** Its memory was read (not only its system info). */
  has(uid: TagUid): boolean {
    return this.images.get(uid)?.memory !== undefined;
  }

  info(uid: TagUid): SystemInfo | undefined {
    return this.images.get(uid)?.info;
  }

  memory(uid: TagUid): Uint8Array | undefined {
    return this.images.get(uid)?.memory;
  }

  eas(uid: TagUid): boolean | undefined {
    return this.images.get(uid)?.eas;
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
  remember(uid: TagUid, image: TagImage): void {
    const { info, memory } = image;
    const decoded =
      memory === undefined
        ? { error: image.readError ?? 'rfid_memory_unread' }
        : decodeItemTag(memory, info.dsfid === undefined ? {} : { dsfid: info.dsfid });
    const entry: CachedTag =
      'error' in decoded ? { ...image, item: null, decodeError: decoded.error } : { ...image, item: decoded };
    this.images.delete(uid);
    this.images.set(uid, entry);
    if (this.images.size <= this.size) return;
    for (const held of this.images.keys()) {
      if (this.onPad(held)) continue;
      this.images.delete(held);
      if (this.images.size <= this.size) return;
    }
  }

  /** The security the pad wrote to a tag itself, once verified: its AFI, its EAS bit, or both. */
  noteSecured(uid: TagUid, secured: boolean): void {
    const cached = this.images.get(uid);
    if (!cached) return;
    const { method, securedAfi, unsecuredAfi } = this.security;
    if (method !== 'eas') cached.info = { ...cached.info, afi: secured ? securedAfi : unsecuredAfi };
    if (method !== 'afi') cached.eas = secured;
  }

  /**
   * Whether a tag read again holds what the pad kept of it: memory (or none readable, as before),
   * AFI, DSFID and EAS bit.
   */
  holds(uid: TagUid, image: TagImage): boolean {
    const cached = this.images.get(uid);
    return (
      cached !== undefined &&
      cached.info.afi === image.info.afi &&
      cached.info.dsfid === image.info.dsfid &&
      cached.eas === image.eas &&
      (cached.memory === undefined || image.memory === undefined
        ? cached.memory === image.memory
        : sameBytes(cached.memory, image.memory))
    );
  }

  describe(uid: TagUid): PadTag {
    const cached = this.images.get(uid);
    if (!cached) return { uid, item: null };
    const { info } = cached;
    const secured = alarmsAsSecured(this.security, { afi: info.afi, eas: cached.eas });
    return {
      uid,
      item: cached.item,
      ...(cached.memory === undefined ? {} : { memory: cached.memory }),
      ...(info.dsfid === undefined ? {} : { dsfid: info.dsfid }),
      ...(info.afi === undefined ? {} : { afi: info.afi }),
      ...(cached.eas === undefined ? {} : { eas: cached.eas }),
      ...(secured === undefined ? {} : { secured }),
      ...(info.blockSize === undefined ? {} : { blockSize: info.blockSize }),
      ...(info.blockCount === undefined ? {} : { blockCount: info.blockCount }),
      ...(cached.decodeError ? { readError: cached.decodeError } : {}),
    };
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
