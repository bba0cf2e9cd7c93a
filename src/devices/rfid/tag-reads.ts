/**
 * Reading the memory of the tags lying on a pad: a tag new on the pad is read once (a failed read
 * tried again on later rounds, `readAttempts` in all, then given up on with why); a tag kept from
 * before the reader's link was lost is read afresh and compared with what it held. What is read is
 * kept in the pad's `TagMemories`; what is told of it (tag_arrived, tag_left) is the pad's, through
 * the `TagAnnouncer` it gives.
 */
import { describeError } from '../../core/errors.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import type { RfidReader } from './reader.js';
import { readTagImage, type TagImage, type TagMemories } from './tag-memory.js';

/** A tag the pad's inventories see, from its first sighting until it has left. */
export interface Presence {
  uid: TagUid;
  missedRounds: number;
  /** Reported with tag_arrived. */
  announced: boolean;
  /** Kept from before the reader's link was lost: its memory is read again when next seen. */
  readAgain: boolean;
  /** Failed reads of its memory since it was last read or given up on (`readAttempts` in all). */
  readFailures: number;
  lastReadError?: string;
}

/** What the pad tells of a tag once its memory is read: that it arrived, or left with what it held. */
export interface TagAnnouncer {
  arrived(presence: Presence): void;
  left(presence: Presence): void;
}

export interface TagReadsOptions {
  reader: RfidReader;
  memories: TagMemories;
  /** Read attempts for a tag before it is reported with `readError`. */
  readAttempts: number;
  /** Whether a tag's EAS bit is read with its memory. */
  readsEas: () => boolean;
  announce: TagAnnouncer;
}

export class TagReads {
  constructor(private readonly options: TagReadsOptions) {}

  /** A tag new on the pad: its memory read (unless already known), then announced; nothing until then. */
  async readNew(presence: Presence): Promise<void> {
    const { memories, announce } = this.options;
    const uid = presence.uid;
    if (!memories.has(uid)) {
      const image = await this.readImage(presence);
      if (image === 'later') return;
      if (image) memories.remember(uid, image);
    }
    announce.arrived(presence);
  }

  /**
   * A tag kept from before the reader's link was lost, seen again: read afresh, since while the
   * reader was away it may have been programmed or secured elsewhere, or taken off and another
   * put down with its UID. Unchanged, nothing is said. Changed, or now unreadable, it is told as
   * a tag taken off and put down again would have been: left with what it held, then arrived.
   */
  async readKept(presence: Presence): Promise<void> {
    const { memories, announce } = this.options;
    const uid = presence.uid;
    const image = await this.readImage(presence);
    if (image === 'later') return;
    presence.readAgain = false;
    // Unchanged: the same memory (or none readable), AFI, DSFID and EAS bit, or unreadable as it
    // was when it arrived.
    if (image ? memories.holds(uid, image) : !memories.has(uid)) {
      presence.readFailures = 0;
      return;
    }
    announce.left(presence);
    memories.forget(uid);
    if (image) memories.remember(uid, image);
    announce.arrived(presence);
  }

  /**
   * One read of a tag on the pad: its image once read whole; `later` while a failed read has
   * attempts left (or the link closed); past them, what could be read of it (its system info, AFI
   * and EAS bit without its memory), or undefined when not even that.
   */
  private async readImage(presence: Presence): Promise<TagImage | undefined | 'later'> {
    const { reader, readAttempts, readsEas } = this.options;
    let image: TagImage | undefined;
    try {
      image = await readTagImage(reader, presence.uid, { eas: readsEas() });
      if (image.readError === undefined) return image;
      presence.lastReadError = image.readError;
    } catch (error) {
      if (!reader.isOpen) return 'later';
      presence.lastReadError = describeError(error).code;
    }
    presence.readFailures++;
    return presence.readFailures < readAttempts ? 'later' : image;
  }
}
