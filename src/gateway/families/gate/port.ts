import type { AlarmHistoryQuery, GateAlarmRecord } from './alarm-history.js';
import type { GateAlarmEvent } from './events.js';
import type { VisitorRow } from './visitor-store.js';
import type { VisitorSnapshot } from './visitors.js';

/** A gate as the desk sees it now. */
export interface GateStatusView {
  /** The alarm loops as last read from the gate (as it connects, and after each switch); null until it has said (or a gate without a command port). */
  alarm: { on: boolean; loops: number } | null;
  /** The people counter as last read; null until read. */
  counts: { in: number; out: number; time: string } | null;
  /** Visitors today and the occupancy, as Carrel counts them; null for a gate without a people counter. */
  visitors: VisitorSnapshot | null;
  /** Alarms since Carrel started, newest first (at most 50). */
  recentAlarms: GateAlarmEvent[];
  /** Alarms since Carrel started. */
  alarms: number;
  /**
   * How long after an alarm its title may still come (ms): the wait for the ILS, from its link's
   * timeouts; by then `gate.alarm_enriched` or `gate.alarm_not_enriched` has been sent. Null: the
   * desk has no ILS to ask.
   */
  titleLookupMs: number | null;
}

/** What workflows and the API may ask of a security gate. */
export interface GatePort {
  /** The name given in the configuration. */
  readonly name: string | undefined;
  status(): GateStatusView;
  /** Switches the alarm loops on or off, verified by reading the gate's configuration back. */
  setAlarm(on: boolean): Promise<{ on: boolean; loops: number }>;
  /** Reads the people counter. */
  counters(): Promise<{ in: number; out: number; time: string }>;
  /** Sets the people counter to zero, verified by reading it back (what it had counted is kept). */
  resetCounters(): Promise<{ in: number; out: number; time: string }>;
  /** This gate's alarm history, newest first. Throws `unavailable` while the database is not open. */
  alarmHistory(query: AlarmHistoryQuery): GateAlarmRecord[];
  /** How many alarms this gate had in [from, to) (epoch ms). Throws `unavailable` while the database is not open. */
  alarmCount(from: number, to: number): number;
  /** Marks one of this gate's alarms acknowledged by `who`; undefined when it has no such alarm. */
  acknowledgeAlarm(id: string, who: string): GateAlarmRecord | undefined;
  /** This gate's alarms per UTC quarter hour (since the epoch) and reason over [from, to) in epoch ms. */
  alarmCounts(from: number, to: number): Array<{ quarter: number; reason: string; count: number }>;
  /**
   * This gate's visitors over the whole quarter hours in [from, to), per UTC quarter, hour or day,
   * or all together; empty for a gate without a people counter.
   */
  visitorCounts(from: number, to: number, by: 'quarter' | 'hour' | 'day' | 'none'): VisitorRow[];
}
