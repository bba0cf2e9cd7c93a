/**
 * A gate's events. An alarm names the item as its tag says it (never a patron:
 * a patron card never alarms); the people counter's counts; the alarm loops'
 * state as read back from the gate.
 */
export interface GateAlarmItem {
  /** The item's barcode (primary item id). */
  id: string;
  /** The tag's data model (`28560-3`, `28560-2`, `3m`…). */
  format: string;
  /** Owner library (ISIL), when the tag carries it. */
  isil?: string;
  set?: { part: number; parts: number };
}

export interface GateAlarmEvent {
  /** This alarm's id (for acknowledging it). */
  id: string;
  /** The tag's UID; null when the gate reports none. */
  uid: string | null;
  /** What the tag says it is; null for a tag Carrel cannot read (its raw memory is given). */
  item: GateAlarmItem | null;
  /** The user memory of a tag that could not be read, upper-case hex; null otherwise. */
  memoryHex: string | null;
  /** Why it alarmed: the AFI or EAS bit read with the tag, or the gate reported it (its own filter). */
  reason: 'afi' | 'eas' | 'reported';
  afi: number | null;
  eas: boolean | null;
  antenna: number | null;
  rssi: number | null;
  /** When Carrel received the read. */
  time: string;
}

export interface GateEventsMap {
  'gate.alarm': GateAlarmEvent;
  'gate.count': { in: number; out: number; reset: boolean; time: string };
  'gate.alarm_state': { on: boolean; loops: number; time: string };
}

export const GATE_EVENTS: ReadonlyArray<keyof GateEventsMap> = [
  'gate.alarm',
  'gate.count',
  'gate.alarm_state',
];
