/**
 * The events a gate driver emits (`event`, type, data): the same for the FEIG notification gate
 * and for an RFID reader run as a gate. The gateway decodes item data from `memory` with Carrel's
 * tag decoder; a driver never does. A tag's memory travels as the bytes the reader sent, not as
 * text: the alarm decision reads those bytes, and hex is made only where it leaves the gateway.
 */

/** One tag seen passing the gate. */
export type GateTagRead = {
  /**
   * The tag identifier as the reader reports it: an ISO 15693 UID printed MSB first (`E004…`);
   * null when the reader is set up to send no identifier (TR-DATA1 without IDD).
   */
  uid: string | null;
  /** TR-TYPE (0x03 ISO 15693) when the reader says. */
  transponderType: number | null;
  /** User memory read with the tag, logical order (block 0 byte 0 first); not to be changed. */
  memory: Uint8Array | null;
  blockSize: number | null;
  /** The tag's AFI and EAS bit when the reader read them (a FEIG notification does not). */
  afi: number | null;
  eas: boolean | null;
  /** Antenna byte as the reader reports it (FEIG: a number or a bit per antenna). */
  antenna: number | null;
  /** Strongest RSSI reported for the read. */
  rssi: number | null;
  /** Reads the reader merged into this record. */
  reads: number | null;
  /** When Carrel received it (ISO time). */
  time: string;
  /** The reader's own clock, `HH:MM:SS.mmm`, when the record carries it. */
  readerTime: string | null;
  /** `notification`: pushed by a gate reader; `inventory`: a reader run as a gate. */
  source: 'notification' | 'inventory';
  /** Why the memory could not be read (reader-as-gate only). */
  readError?: string;
};

/** A tag of a reader run as a gate left the field (no read for the debounce time). */
export type GateTagGone = { uid: string; time: string };

export type GateKeepAlive = { status: number; time: string };

/** People counted by the gate since its last reset. */
export type GateCounts = { in: number; out: number; time: string; reset: boolean };

/** The alarm loops' state, as read back from the gate. */
export type GateAlarm = { on: boolean; loops: number; time: string };

export interface GateEvents {
  tag_read: GateTagRead;
  tag_gone: GateTagGone;
  keepalive: GateKeepAlive;
  counter: GateCounts;
  alarm_state: GateAlarm;
}

export type GateEventType = keyof GateEvents;

/** A listener for one gate event type, for typed subscribers: `onGateEvent(driver, 'tag_read', …)`. */
export function onGateEvent<K extends GateEventType>(
  driver: { on(event: 'event', listener: (type: string, data: Record<string, unknown>) => void): unknown },
  type: K,
  listener: (data: GateEvents[K]) => void,
): void {
  driver.on('event', (eventType, data) => {
    if (eventType === type) listener(data as GateEvents[K]);
  });
}
