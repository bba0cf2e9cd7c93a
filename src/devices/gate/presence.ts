/**
 * Presence debouncing for a reader run as a gate: a tag that flickers in and out of the field
 * while someone walks past is one passage, not ten. A tag is `stable` once read at least
 * `stableReads` times over at least `stableMs`; `gone` once `goneMs` pass without a read.
 * (Defaults from lukaslerche/bookwaves-feig's NotificationListener: 3 reads, 750 ms, 1 s.)
 *
 * Pure bookkeeping on an injectable clock: the caller reports each read with `observe()` and
 * calls `sweep()` now and then; nothing here sets a timer.
 */
import type { Clock } from '../../core/clock.js';

export interface PresenceOptions {
  stableReads: number;
  stableMs: number;
  goneMs: number;
  /** Tags tracked at once; reads of further tags are ignored (and counted). */
  maxTags: number;
}

export const DEFAULT_PRESENCE: Readonly<PresenceOptions> = Object.freeze({
  stableReads: 3,
  stableMs: 750,
  goneMs: 1000,
  maxTags: 256,
});

export interface TagPresence {
  uid: string;
  reads: number;
  /** Monotonic ms of the first and the last read. */
  firstSeen: number;
  lastSeen: number;
  stable: boolean;
}

export type PresenceChange =
  /** The first read of a tag not present before. */
  | { type: 'seen'; tag: TagPresence }
  /** The tag is really there (reads and time both reached). */
  | { type: 'stable'; tag: TagPresence }
  /** No read for `goneMs`; `tag.stable` says whether it had become stable. */
  | { type: 'gone'; tag: TagPresence };

export class PresenceDebouncer {
  private readonly tags = new Map<string, TagPresence>();
  private readonly options: PresenceOptions;
  /** Reads ignored because `maxTags` tags were already tracked. */
  overflow = 0;

  constructor(
    private readonly clock: Clock,
    options: Partial<PresenceOptions> = {},
  ) {
    this.options = {
      stableReads: Math.max(1, options.stableReads ?? DEFAULT_PRESENCE.stableReads),
      stableMs: Math.max(0, options.stableMs ?? DEFAULT_PRESENCE.stableMs),
      goneMs: Math.max(1, options.goneMs ?? DEFAULT_PRESENCE.goneMs),
      maxTags: Math.max(1, options.maxTags ?? DEFAULT_PRESENCE.maxTags),
    };
  }

  /** One read of `uid` now. A tag not read for `goneMs` is gone first, then seen anew. */
  observe(uid: string): PresenceChange[] {
    const now = this.clock.monotonic();
    const changes: PresenceChange[] = [];
    let tag = this.tags.get(uid);
    if (tag && now - tag.lastSeen >= this.options.goneMs) {
      this.tags.delete(uid);
      changes.push({ type: 'gone', tag: { ...tag } });
      tag = undefined;
    }
    const isNew = !tag;
    if (!tag) {
      if (this.tags.size >= this.options.maxTags) {
        this.overflow++;
        return changes;
      }
      tag = { uid, reads: 0, firstSeen: now, lastSeen: now, stable: false };
      this.tags.set(uid, tag);
    }
    tag.reads++;
    tag.lastSeen = now;
    if (isNew) changes.push({ type: 'seen', tag: { ...tag } });
    if (
      !tag.stable &&
      tag.reads >= this.options.stableReads &&
      now - tag.firstSeen >= this.options.stableMs
    ) {
      tag.stable = true;
      changes.push({ type: 'stable', tag: { ...tag } });
    }
    return changes;
  }

  /** Tags not read for `goneMs`, now gone (oldest first). */
  sweep(): PresenceChange[] {
    const now = this.clock.monotonic();
    const changes: PresenceChange[] = [];
    for (const tag of [...this.tags.values()]) {
      if (now - tag.lastSeen < this.options.goneMs) continue;
      this.tags.delete(tag.uid);
      changes.push({ type: 'gone', tag: { ...tag } });
    }
    return changes;
  }

  /** Forgets every tag, each reported gone (the reader stopping). */
  clear(): PresenceChange[] {
    const changes = [...this.tags.values()].map((tag): PresenceChange => ({ type: 'gone', tag: { ...tag } }));
    this.tags.clear();
    return changes;
  }

  present(): TagPresence[] {
    return [...this.tags.values()].map((tag) => ({ ...tag }));
  }
}
