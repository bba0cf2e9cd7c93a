/**
 * One place in the ILS connection pool: its connection (made once, opened again as
 * needed) and what the pool knows of it. Which slot a request takes is decided here.
 */
import type { TimerHandle } from '../../core/clock.js';
import type { IlsConnection } from './connection.js';
import { IlsError } from './errors.js';

export interface Slot {
  readonly index: number;
  connection: IlsConnection | undefined;
  busy: boolean;
  /** The last attempt to open this slot failed, or its last request went unanswered. */
  failing: boolean;
  /** Requests unanswered on this slot since its last answer. */
  unanswered: number;
  /** Open and ask this slot again as soon as it is released. */
  recheck: boolean;
  /** Busy with the pool's own 99 (heartbeat or re-check), not with a caller's request. */
  probing: boolean;
  /** Its connection dropped under the request it carried: opened again once that request has finished. */
  lostWhileBusy: boolean;
  /** Opens this failing slot again after a reconnect delay. */
  reopen: TimerHandle | undefined;
  /** Reopens tried since this slot last answered: the next delay doubles with each. */
  reopens: number;
}

export function newSlot(index: number): Slot {
  return {
    index,
    connection: undefined,
    busy: false,
    failing: false,
    unanswered: 0,
    recheck: false,
    probing: false,
    lostWhileBusy: false,
    reopen: undefined,
    reopens: 0,
  };
}

/**
 * A free slot, one with an open connection first. `notFailing`: a closed one only if it is
 * not failing; a request sent again after its connection could not be opened waits for the
 * next connection released rather than try a failing one again.
 */
export function freeSlotOf(slots: readonly Slot[], notFailing: boolean): Slot | undefined {
  let closed: Slot | undefined;
  for (const slot of slots) {
    if (slot.busy) continue;
    if (slot.connection?.isOpen) return slot;
    if (!notFailing || !slot.failing) closed ??= slot;
  }
  return closed;
}

/** A connection known to answer: open, and its last request answered. */
export function answering(slot: Slot): boolean {
  return !slot.failing && slot.connection?.isOpen === true;
}

/** The ILS did not answer (as opposed to answering badly, or the connection going away). */
export function isUnanswered(error: unknown): error is IlsError {
  return error instanceof IlsError && error.code === 'ils_timeout';
}

/** The first delay before a failing connection is opened again while the link is up, and the longest. */
const REOPEN_FIRST_MS = 250;
const REOPEN_MAX_MS = 5000;

/**
 * How long a failing slot waits before it is opened again, its `reopens` tried so far:
 * 0.25 s, doubling up to 5 s, never more than a heartbeat.
 */
export function reopenDelayMs(reopens: number, heartbeatSeconds: number): number {
  const heartbeat = heartbeatSeconds * 1000;
  const longest = heartbeat > 0 ? Math.min(REOPEN_MAX_MS, heartbeat) : REOPEN_MAX_MS;
  return Math.min(REOPEN_FIRST_MS * 2 ** Math.min(reopens, 10), longest);
}

/** The pool's own question to the ILS (99): are you there, and in what state? */
export function scStatus() {
  return { type: 'scStatus', statusCode: 'ok', maxPrintWidth: 80, protocolVersion: '2.00' } as const;
}
