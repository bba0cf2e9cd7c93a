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
  /**
   * Why it alarmed: the AFI or EAS bit read with the tag, the gate reported it (its own filter), or
   * the ILS says the item is not charged (policies `ils`, `afi-or-ils`).
   */
  reason: 'afi' | 'eas' | 'reported' | 'ils';
  /**
   * What the ILS said, when the policy asked it: `not_charged`; `unanswered` (no answer in time, or no
   * ILS: the reason is then the tag's own); `no_item` (the tag names no item to ask about). Null when
   * the ILS was not asked.
   */
  ils: 'not_charged' | 'unanswered' | 'no_item' | null;
  /** Which way the person went, when the gate's antennas say (`directionByAntenna`); null otherwise. */
  direction: 'in' | 'out' | null;
  afi: number | null;
  eas: boolean | null;
  antenna: number | null;
  rssi: number | null;
  /** When Carrel received the read. */
  time: string;
}

/**
 * What the ILS says about the item of an alarm, sent after the alarm (the alarm never waits for it).
 * Item data only: the ILS's item information names no patron.
 */
export interface GateAlarmEnrichedEvent {
  /** The alarm's id. */
  alarm: string;
  /** The item barcode asked about. */
  item: string;
  /** Whether the ILS knows the item. */
  known: boolean;
  title: string | null;
  /** The call number where the ILS sends one (the `CS` extension); null without one. */
  callNumber: string | null;
  /** Where the item belongs (AQ, a location code such as `MAIN`). */
  permanentLocation: string | null;
  /** SIP2 circulation status by name: `available`, `charged`, `missing`… */
  circulationStatus: string | null;
  /** Due date (ISO 8601 when readable, else the ILS's text); null when not on loan. */
  dueDate: string | null;
  /** Charged to someone (never who). */
  checkedOut: boolean;
  time: string;
}

/**
 * The ILS will not say what the item of an alarm is: it could not be asked, or did not answer
 * within the enrichment's deadline (from the ILS link's own timeouts). Each alarm naming an item
 * is followed by this or by `gate.alarm_enriched`, never both, so a page stops waiting for its
 * title. The history keeps the alarm without a title.
 */
export interface GateAlarmNotEnrichedEvent {
  /** The alarm's id. */
  alarm: string;
  /** The item barcode that was to be asked about. */
  item: string;
  /**
   * Why, as a code: no answer in time, the ILS not reachable, too many lookups at once, another
   * failure, or the desk has no ILS.
   */
  reason: 'no_answer' | 'unreachable' | 'busy' | 'failed' | 'no_ils';
  /** Why, in the words a desk reads: 'the library system did not answer'. */
  message: string;
  time: string;
}

/**
 * An alarm acknowledged by a member of staff (the first acknowledgement; acknowledging again sends
 * nothing), so every desk PC showing the alarm moves it out of the waiting list.
 */
export interface GateAlarmAcknowledgedEvent {
  /** The alarm's id. */
  alarm: string;
  /** The name of the token that acknowledged it, and when. */
  acknowledged: { by: string; at: string };
  time: string;
}

/** The people counter: its reading, and what Carrel made of it. */
export interface GateCountEvent {
  /** The gate's own counter as read. */
  in: number;
  out: number;
  /** The counter was just set to zero. */
  reset: boolean;
  time: string;
  /** Counted since the counting day began (the daily reset). */
  today: { in: number; out: number; since: string };
  /** People inside: in − out since opening, never below zero. */
  occupancy: number;
}

export interface GateEventsMap {
  'gate.alarm': GateAlarmEvent;
  'gate.alarm_enriched': GateAlarmEnrichedEvent;
  'gate.alarm_not_enriched': GateAlarmNotEnrichedEvent;
  'gate.alarm_acknowledged': GateAlarmAcknowledgedEvent;
  'gate.count': GateCountEvent;
  'gate.alarm_state': { on: boolean; loops: number; time: string };
}

export const GATE_EVENTS: ReadonlyArray<keyof GateEventsMap> = [
  'gate.alarm',
  'gate.alarm_enriched',
  'gate.alarm_not_enriched',
  'gate.alarm_acknowledged',
  'gate.count',
  'gate.alarm_state',
];
