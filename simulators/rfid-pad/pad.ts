/**
 * The pad's field: which virtual tags are on it, which were taken away (kept with their
 * memory, so an item can come back), and the faults a test dials in. Protocol sessions
 * (FEIG, 3M) call these operations; each returns a result or a TagFault.
 */

import { EventEmitter } from 'node:events';
import type { TagUid } from '../../src/protocols/iso15693/uid.js';
import { seededRandom } from '../common/seeded-random.js';
import { changeTag, createTag, type TagSpec, tagJson, type VirtualTag } from './tags.js';

export interface PadFaults {
  /** Share of replies sent with a broken CRC (0..1). */
  crcErrorRate: number;
  /** Share of tags left out of each inventory reply (0..1). */
  missRate: number;
  /** Share of writes during which the tag leaves the pad, half written (0..1). */
  leaveDuringWriteRate: number;
}

export const NO_FAULTS: PadFaults = { crcErrorRate: 0, missRate: 0, leaveDuringWriteRate: 0 };

/** Why a tag operation failed, in protocol-neutral words. */
export type TagFault =
  | { kind: 'absent' }
  | { kind: 'left-during-write' }
  | { kind: 'locked' }
  | { kind: 'out-of-range' }
  /** The tag answered a read of its memory with an error. */
  | { kind: 'unreadable' };

export type TagResult<T> = { ok: true; value: T } | { ok: false; fault: TagFault };

export { seededRandom };

const ok = <T>(value: T): TagResult<T> => ({ ok: true, value });
const fail = <T>(fault: TagFault): TagResult<T> => ({ ok: false, fault });

export class PadField extends EventEmitter {
  private readonly onPad = new Map<TagUid, VirtualTag>();
  private readonly away = new Map<TagUid, VirtualTag>();
  private current: PadFaults = { ...NO_FAULTS };
  readonly random: () => number;

  constructor(options: { seed?: number } = {}) {
    super();
    this.random = seededRandom(options.seed ?? 0x15693);
  }

  /**
   * Puts a new tag on the pad, or one it holds (by uid) back on it: a spec with more than the uid
   * changes that tag as it says (the rest kept; see changeTag).
   */
  place(spec: TagSpec | VirtualTag): VirtualTag {
    const uid = spec.uid?.toUpperCase();
    const known = uid ? (this.away.get(uid) ?? this.onPad.get(uid)) : undefined;
    const virtual = 'memory' in spec && spec.memory instanceof Uint8Array;
    if (known && !virtual) changeTag(known, spec as TagSpec);
    const tag = known ?? (virtual ? (spec as VirtualTag) : createTag(spec as TagSpec));
    this.away.delete(tag.uid);
    this.onPad.set(tag.uid, tag);
    this.emit('changed');
    return tag;
  }

  /** Takes a tag off the pad; it is kept (memory and all) for when it comes back. */
  remove(uid: TagUid): boolean {
    const tag = this.onPad.get(uid.toUpperCase());
    if (!tag) return false;
    this.onPad.delete(tag.uid);
    this.away.set(tag.uid, tag);
    this.emit('changed');
    return true;
  }

  /** Moves a known tag onto or off the pad. */
  move(uid: TagUid, toPad: boolean): boolean {
    const key = uid.toUpperCase();
    if (toPad) {
      const tag = this.away.get(key);
      if (!tag) return this.onPad.has(key);
      this.place(tag);
      return true;
    }
    return this.remove(key);
  }

  /** Forgets a tag entirely. */
  discard(uid: TagUid): boolean {
    const key = uid.toUpperCase();
    const had = this.onPad.delete(key) || this.away.delete(key);
    if (had) this.emit('changed');
    return had;
  }

  tags(): Array<Record<string, unknown>> {
    return [
      ...[...this.onPad.values()].map((t) => tagJson(t, true)),
      ...[...this.away.values()].map((t) => tagJson(t, false)),
    ];
  }

  tag(uid: TagUid): VirtualTag | undefined {
    const key = uid.toUpperCase();
    return this.onPad.get(key) ?? this.away.get(key);
  }

  faults(): PadFaults {
    return { ...this.current };
  }

  setFaults(change: Partial<PadFaults>): PadFaults {
    for (const key of Object.keys(NO_FAULTS) as Array<keyof PadFaults>) {
      const value = change[key];
      if (typeof value === 'number' && Number.isFinite(value))
        this.current[key] = Math.min(1, Math.max(0, value));
    }
    return this.faults();
  }

  /** Decides whether this reply goes out corrupt. */
  corruptReply(): boolean {
    return this.current.crcErrorRate > 0 && this.random() < this.current.crcErrorRate;
  }

  inventory(afi?: number): VirtualTag[] {
    return [...this.onPad.values()].filter(
      (tag) =>
        (afi === undefined || afi === 0 || tag.afi === afi) &&
        !(this.current.missRate > 0 && this.random() < this.current.missRate),
    );
  }

  present(uid: TagUid | undefined): TagResult<VirtualTag> {
    const tag = uid ? this.onPad.get(uid) : this.onPad.values().next().value;
    return tag ? ok(tag) : fail({ kind: 'absent' });
  }

  readBlocks(
    uid: TagUid | undefined,
    first: number,
    count: number,
  ): TagResult<{ tag: VirtualTag; blocks: Uint8Array[] }> {
    const found = this.present(uid);
    if (!found.ok) return found;
    const tag = found.value;
    if (count < 1 || first + count > tag.blockCount) return fail({ kind: 'out-of-range' });
    if (tag.unreadable) return fail({ kind: 'unreadable' });
    const blocks: Uint8Array[] = [];
    for (let i = first; i < first + count; i++)
      blocks.push(tag.memory.slice(i * tag.blockSize, (i + 1) * tag.blockSize));
    return ok({ tag, blocks });
  }

  writeBlocks(uid: TagUid | undefined, first: number, blocks: Uint8Array[]): TagResult<VirtualTag> {
    const found = this.present(uid);
    if (!found.ok) return found;
    const tag = found.value;
    if (first + blocks.length > tag.blockCount || blocks.some((b) => b.length !== tag.blockSize))
      return fail({ kind: 'out-of-range' });
    for (let i = 0; i < blocks.length; i++)
      if (tag.lockedBlocks.has(first + i)) return fail({ kind: 'locked' });
    const leaves = this.leavesNow();
    const written = leaves ? Math.floor(blocks.length / 2) : blocks.length;
    for (let i = 0; i < written; i++) tag.memory.set(blocks[i]!, (first + i) * tag.blockSize);
    if (leaves) return this.leaveMidWrite(tag);
    return ok(tag);
  }

  lockBlocks(uid: TagUid | undefined, first: number, count: number): TagResult<VirtualTag> {
    const found = this.present(uid);
    if (!found.ok) return found;
    const tag = found.value;
    if (first + count > tag.blockCount) return fail({ kind: 'out-of-range' });
    for (let i = first; i < first + count; i++) tag.lockedBlocks.add(i);
    return ok(tag);
  }

  writeAfi(uid: TagUid | undefined, afi: number): TagResult<VirtualTag> {
    const found = this.present(uid);
    if (!found.ok) return found;
    const tag = found.value;
    if (tag.afiLocked) return fail({ kind: 'locked' });
    if (this.leavesNow()) return this.leaveMidWrite(tag);
    tag.afi = afi;
    return ok(tag);
  }

  /** ISO 15693 Write DSFID: the data-storage format identifier Get System Info and inventories give. */
  writeDsfid(uid: TagUid | undefined, dsfid: number): TagResult<VirtualTag> {
    const found = this.present(uid);
    if (!found.ok) return found;
    if (this.leavesNow()) return this.leaveMidWrite(found.value);
    found.value.dsfid = dsfid;
    return ok(found.value);
  }

  setEas(uid: TagUid | undefined, on: boolean): TagResult<VirtualTag> {
    const found = this.present(uid);
    if (!found.ok) return found;
    if (this.leavesNow()) return this.leaveMidWrite(found.value);
    found.value.eas = on;
    return ok(found.value);
  }

  private leavesNow(): boolean {
    return this.current.leaveDuringWriteRate > 0 && this.random() < this.current.leaveDuringWriteRate;
  }

  private leaveMidWrite<T>(tag: VirtualTag): TagResult<T> {
    this.remove(tag.uid);
    this.emit('left-during-write', tag.uid);
    return fail({ kind: 'left-during-write' });
  }
}
