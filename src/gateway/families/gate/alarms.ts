/**
 * The alarm decision at a gate, on the hot path and never waiting for anything:
 * the tag's data model says which item it is (Carrel's one tag decoder), its
 * security state (AFI or EAS bit, as read with it) says whether it left the
 * building unlent. A FEIG gate in notification mode reports only the tags its
 * own AFI/EAS filter let through and sends no AFI: those are trusted as
 * reported — unless the gate reports every tag (its `reports: all`, allowed
 * only with the policies that ask the ILS). Patron cards and the things the library lists never alarm; a tag
 * that cannot be read still alarms, with its UID and raw memory; the same tag
 * read again within the repeat window of its last read is the same passage.
 *
 * With the policies that ask the ILS (`ils`, and `afi-or-ils` for a tag whose
 * AFI says lent) the decision is a question: which item to ask about, the
 * alarm to raise if it is not charged, and the one to raise if the ILS cannot
 * answer (the tag's own AFI, or what the gate reported), made here at once so
 * the caller only has to wait for the answer.
 *
 * What the decision keeps for the reads after it — the new passage's place in the repeat window,
 * the windows that have closed, the next alarm's id — is made by `settle()`, once the alarm is out
 * (the alarm flow settles after each read; the next `consider` settles first in any case), so an
 * alarm waits for none of it: on a gate idle between passages, each of these is code and memory
 * gone cold, and making them first held the alarm back ~15 µs.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import type { GateTagRead } from '../../../devices/gate/index.js';
import { decodeItemTag, type ItemTagView, isPatronCard } from '../../../protocols/rfid/index.js';
import type { GateAlarmPolicy, GateDirections } from './config.js';
import type { GateAlarmEvent } from './events.js';

/** An alarm that depends on the ILS: raise `ifNotCharged` unless `ask` is charged; `fallback` without an answer. */
export interface IlsQuestion {
  /** The item barcode to ask about. */
  ask: string;
  ifNotCharged: GateAlarmEvent;
  /** What the tag itself says, when the ILS cannot answer; undefined: no alarm then. */
  fallback: GateAlarmEvent | undefined;
}

export type GateVerdict = GateAlarmEvent | IlsQuestion;

export function isIlsQuestion(verdict: GateVerdict): verdict is IlsQuestion {
  return 'ask' in verdict;
}

/** Tags remembered for the repeat window at most (a crowd passing). */
const MAX_REMEMBERED = 1024;

export class GateAlarms {
  private readonly ignored: ReadonlySet<string>;
  /**
   * UID (or memory, for a tag without one) of a tag that alarmed → when it was last read (monotonic
   * ms: NTP stepping the wall clock moves no window), in that order.
   */
  private readonly lastRead = new Map<string, number>();
  /** A new passage decided on and not yet noted in `lastRead` (see settle). */
  private unsettled: { key: string; at: number } | undefined;
  /** The next alarm's id, made ahead of it. */
  private spareId: string | undefined = randomUUID();

  constructor(
    private readonly policy: GateAlarmPolicy,
    private readonly clock: Clock,
    private readonly directions?: GateDirections,
    /**
     * The gate reports every tag passing, not only those its own filter counts secured: a tag
     * reported says nothing of its security, and only the ILS can (`afi-or-ils` then asks it).
     */
    private readonly everyTagReported = false,
  ) {
    this.ignored = new Set(policy.ignore.map((entry) => entry.toUpperCase()));
  }

  /**
   * The alarm this read raises, or the question to put to the ILS first (policies `ils`,
   * `afi-or-ils`), or undefined (not secured, not an item, or the same passage).
   */
  consider(read: GateTagRead): GateVerdict | undefined {
    this.settle();
    const item = read.memory === null ? undefined : decodeItemTag(read.memory);
    const readable = item !== undefined && !('error' in item) ? item : undefined;
    if (readable && isPatronCard(readable)) return undefined;
    if (this.isIgnored(read, readable)) return undefined;
    const { method } = this.policy;
    if (method === 'ils' || method === 'afi-or-ils') return this.withIls(read, readable);
    const reason = this.securedBy(read, method);
    if (reason === undefined) return undefined;
    if (this.samePassage(read)) return undefined;
    return this.alarm(read, readable, reason, null);
  }

  /**
   * `ils`: ask unless there is no item to ask about; `afi-or-ils`: a secured AFI alarms at once —
   * the AFI read with the tag, or the gate's own filter, not a gate that reports every tag.
   */
  private withIls(read: GateTagRead, readable: ItemTagView | undefined): GateVerdict | undefined {
    const byTag = this.securedBy(read, 'afi');
    const atOnce = byTag !== undefined && (byTag !== 'reported' || !this.everyTagReported);
    if (this.policy.method === 'afi-or-ils' && atOnce) {
      return this.samePassage(read) ? undefined : this.alarm(read, readable, byTag, null);
    }
    // A charged item passes, an uncharged one alarms: either way one answer per passage.
    if (this.samePassage(read)) return undefined;
    const itemId = readable?.primaryItemId ?? '';
    if (itemId === '') return byTag === undefined ? undefined : this.alarm(read, readable, byTag, 'no_item');
    const ifNotCharged = this.alarm(read, readable, 'ils', 'not_charged');
    return {
      ask: itemId,
      ifNotCharged,
      fallback: byTag === undefined ? undefined : { ...ifNotCharged, reason: byTag, ils: 'unanswered' },
    };
  }

  /**
   * Notes the last read decided on (a new passage) in the repeat window, forgets the windows that
   * have closed, and makes the next alarm's id: what the decision keeps for the reads after it.
   */
  settle(): void {
    this.spareId ??= randomUUID();
    const passage = this.unsettled;
    if (!passage) return;
    this.unsettled = undefined;
    this.noteRead(passage.key, passage.at);
    this.forgetPassagesBefore(passage.at - this.policy.repeatSeconds * 1000);
    if (this.lastRead.size > MAX_REMEMBERED) this.lastRead.delete(this.lastRead.keys().next().value!);
  }

  private alarm(
    read: GateTagRead,
    readable: ItemTagView | undefined,
    reason: GateAlarmEvent['reason'],
    ils: GateAlarmEvent['ils'],
  ): GateAlarmEvent {
    const id = this.spareId ?? randomUUID();
    this.spareId = undefined;
    return {
      id,
      uid: read.uid,
      item: readable ? itemOf(readable) : null,
      memoryHex: readable ? null : memoryHexOf(read),
      reason,
      ils,
      direction: this.directionOf(read.antenna),
      afi: read.afi,
      eas: read.eas,
      antenna: read.antenna,
      rssi: read.rssi,
      time: read.time,
    };
  }

  private directionOf(antenna: number | null): GateAlarmEvent['direction'] {
    if (antenna === null || !this.directions) return null;
    if (this.directions.in.includes(antenna)) return 'in';
    if (this.directions.out.includes(antenna)) return 'out';
    return null;
  }

  private securedBy(
    read: GateTagRead,
    method: 'afi' | 'eas' | 'afi+eas',
  ): 'afi' | 'eas' | 'reported' | undefined {
    const { securedAfi } = this.policy;
    const byAfi = method !== 'eas';
    const byEas = method !== 'afi';
    if (byAfi && read.afi !== null && read.afi === securedAfi) return 'afi';
    if (byEas && read.eas === true) return 'eas';
    // Nothing read with the tag: the gate's own filter let it through, so it is what the gate says.
    const unknown = (!byAfi || read.afi === null) && (!byEas || read.eas === null);
    return unknown ? 'reported' : undefined;
  }

  private isIgnored(read: GateTagRead, item: ItemTagView | undefined): boolean {
    if (this.ignored.size === 0) return false;
    if (read.uid !== null && this.ignored.has(read.uid.toUpperCase())) return true;
    return (
      item !== undefined && item.primaryItemId !== '' && this.ignored.has(item.primaryItemId.toUpperCase())
    );
  }

  /**
   * Whether this read belongs to a passage already alarmed: the same tag read within the repeat
   * window of its last read. Each read keeps the passage going, so a patron standing in the gate
   * with a book (read again and again, for as long as she stands there) is one alarm, not one
   * every window.
   */
  private samePassage(read: GateTagRead): boolean {
    const key = read.uid ?? memoryHexOf(read);
    if (key === null) return false;
    const now = this.clock.monotonic();
    const last = this.lastRead.get(key);
    if (last !== undefined && now - last < this.policy.repeatSeconds * 1000) {
      this.noteRead(key, now);
      return true;
    }
    // A new passage: noted once its alarm is out (settle).
    this.unsettled = { key, at: now };
    return false;
  }

  /** The tag read at `at`: moved to the end (the map stays in the order of the last reads, oldest first). */
  private noteRead(key: string, at: number): void {
    this.lastRead.delete(key);
    this.lastRead.set(key, at);
  }

  /**
   * Forgets the tags whose repeat window has closed, oldest first (the map is in the order they
   * were last read): they could only say "a new passage", as a tag not in the map does. The map
   * then holds one window's tags, not the last 1024 — small, so an alarm after a quiet spell does
   * not walk a large table.
   */
  private forgetPassagesBefore(cutoff: number): void {
    for (const [key, at] of this.lastRead) {
      if (at > cutoff) return;
      this.lastRead.delete(key);
    }
  }
}

/** The read's memory as upper-case hex, as an unreadable tag's alarm carries it; null without memory. */
function memoryHexOf(read: GateTagRead): string | null {
  return read.memory === null ? null : Buffer.from(read.memory).toString('hex').toUpperCase();
}

function itemOf(item: ItemTagView): GateAlarmEvent['item'] {
  // One object, keys added in order (no spreads of optional parts: one per alarm).
  const view: NonNullable<GateAlarmEvent['item']> = { id: item.primaryItemId, format: item.format };
  if (item.isil) view.isil = item.isil;
  if (item.set) view.set = item.set;
  return view;
}
