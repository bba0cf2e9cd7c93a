import type { GateAlarmEvent } from './events.js';

/** A gate as the desk sees it now. */
export interface GateStatusView {
  /** The alarm loops as last read back from the gate; null until read (or a gate without a command port). */
  alarm: { on: boolean; loops: number } | null;
  /** The people counter as last read; null until read. */
  counts: { in: number; out: number; time: string } | null;
  /** Alarms since Carrel started, newest first (at most 50). */
  recentAlarms: GateAlarmEvent[];
  /** Alarms since Carrel started. */
  alarms: number;
}

/** What workflows and the API may ask of a security gate. */
export interface GatePort {
  status(): GateStatusView;
  /** Switches the alarm loops on or off, verified by reading the gate's configuration back. */
  setAlarm(on: boolean): Promise<{ on: boolean; loops: number }>;
  /** Reads the people counter. */
  counters(): Promise<{ in: number; out: number; time: string }>;
  /** Sets the people counter to zero, verified by reading it back. */
  resetCounters(): Promise<{ in: number; out: number; time: string }>;
}
