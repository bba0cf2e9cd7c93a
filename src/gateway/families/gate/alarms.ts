/**
 * The alarm decision at a gate, on the hot path and never waiting for anything:
 * the tag's data model says which item it is (Carrel's one tag decoder), its
 * security state (AFI or EAS bit, as read with it) says whether it left the
 * building unlent. A FEIG gate in notification mode reports only the tags its
 * own AFI/EAS filter let through and sends no AFI: those are trusted as
 * reported. Patron cards and the things the library lists never alarm; a tag
 * that cannot be read still alarms, with its UID and raw memory; the same tag
 * read again within the repeat window is the same passage.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../core/clock.js';
import type { GateTagRead } from '../../../devices/gate/index.js';
import { decodeItemTag, type ItemTagView, isPatronCard } from '../../../protocols/rfid/index.js';
import type { GateAlarmPolicy } from './config.js';
import type { GateAlarmEvent } from './events.js';

/** UIDs remembered for the repeat window at most (a crowd passing). */
const MAX_REMEMBERED = 1024;

export class GateAlarms {
  private readonly ignored: ReadonlySet<string>;
  /** UID (or memory, for a tag without one) → when it last alarmed. */
  private readonly lastAlarm = new Map<string, number>();

  constructor(
    private readonly policy: GateAlarmPolicy,
    private readonly clock: Clock,
  ) {
    this.ignored = new Set(policy.ignore.map((entry) => entry.toUpperCase()));
  }

  /** The alarm this read raises, or undefined (not secured, not an item, or the same passage). */
  consider(read: GateTagRead): GateAlarmEvent | undefined {
    const item = read.memoryHex === null ? undefined : decodeItemTag(Buffer.from(read.memoryHex, 'hex'));
    const readable = item !== undefined && !('error' in item) ? item : undefined;
    if (readable && isPatronCard(readable)) return undefined;
    if (this.isIgnored(read, readable)) return undefined;
    const reason = this.securedBy(read);
    if (reason === undefined) return undefined;
    if (this.samePassage(read)) return undefined;
    return {
      id: randomUUID(),
      uid: read.uid,
      item: readable ? itemOf(readable) : null,
      memoryHex: readable ? null : read.memoryHex,
      reason,
      afi: read.afi,
      eas: read.eas,
      antenna: read.antenna,
      rssi: read.rssi,
      time: read.time,
    };
  }

  private securedBy(read: GateTagRead): GateAlarmEvent['reason'] | undefined {
    const { method, securedAfi } = this.policy;
    const byAfi = method !== 'eas';
    const byEas = method !== 'afi';
    if (byAfi && read.afi !== null && read.afi === securedAfi) return 'afi';
    if (byEas && read.eas === true) return 'eas';
    // Nothing read with the tag: the gate's own filter let it through, so it is what the gate says.
    const unknown = (!byAfi || read.afi === null) && (!byEas || read.eas === null);
    return unknown ? 'reported' : undefined;
  }

  private isIgnored(read: GateTagRead, item: ItemTagView | undefined): boolean {
    if (read.uid !== null && this.ignored.has(read.uid.toUpperCase())) return true;
    return (
      item !== undefined && item.primaryItemId !== '' && this.ignored.has(item.primaryItemId.toUpperCase())
    );
  }

  private samePassage(read: GateTagRead): boolean {
    const key = read.uid ?? read.memoryHex;
    if (key === null) return false;
    const now = this.clock.now();
    const last = this.lastAlarm.get(key);
    if (last !== undefined && now - last < this.policy.repeatSeconds * 1000) return true;
    this.lastAlarm.delete(key);
    this.lastAlarm.set(key, now);
    if (this.lastAlarm.size > MAX_REMEMBERED) this.lastAlarm.delete(this.lastAlarm.keys().next().value!);
    return false;
  }
}

function itemOf(item: ItemTagView): GateAlarmEvent['item'] {
  return {
    id: item.primaryItemId,
    format: item.format,
    ...(item.isil ? { isil: item.isil } : {}),
    ...(item.set ? { set: item.set } : {}),
  };
}
