/**
 * The event counter of the buffered event replies (229, 159), and how a host
 * reads it so that a lost answer never credits twice and a reset never loses
 * track. The device counts its events 1…255 and then 1 again (0 only after a
 * power-up or reset, with an empty buffer), and holds its last five, the most
 * recent first. The host keeps the last counter it acted on; the events it has
 * not seen are the difference, at most five of them.
 *
 * Only a difference of 1 to 5 from a counter the host holds is taken as events:
 * anything else is a reset (counter 0, its buffer empty), a first sight (no
 * counter held), or a jump (more than five since, or a counter that misbehaves —
 * one that went to 0 with events still in its buffer, as 255 → 0 instead of 1). A jump's visible
 * events cannot be told new from old, so they are handed over as unverified,
 * for staff, never as credits.
 */
import { EVENT_BUFFER_SIZE, type EventBuffer, type EventResult } from './replies.js';

export type EventReading =
  /** Nothing new. */
  | { kind: 'none'; counter: number }
  /** `events` are new, oldest first (1 to 5 of them). */
  | { kind: 'events'; counter: number; events: EventResult[] }
  /** Counter 0: the device was reset or powered up since; its buffer is empty. */
  | { kind: 'reset'; counter: 0 }
  /** The host held no counter: this one is the starting point; the buffer is history. */
  | { kind: 'baseline'; counter: number }
  /**
   * The counter moved by more than the buffer holds (or backwards after a reset the
   * host did not see, or to 0 with events still in the buffer): `missed` events at
   * least were never seen (0 when none need have been); `visible` may be new or old,
   * oldest first, and are not to be credited as they stand.
   */
  | { kind: 'jump'; counter: number; missed: number; visible: EventResult[] };

/** How many events lie between two counter values (1…255 wrapping to 1). */
export function counterDistance(from: number, to: number): number {
  if (from === 0) return to;
  return (to - from + 255) % 255;
}

/** The counter after `n` more events from `counter`. */
export function advanceCounter(counter: number, n = 1): number {
  if (n <= 0) return counter;
  return ((counter - 1 + n) % 255) + 1;
}

/** What a buffered event reply holds that the host has not acted on, given the last counter it acted on. */
export function readEvents(last: number | undefined, buffer: EventBuffer): EventReading {
  const { counter, results } = buffer;
  if (last === undefined) return { kind: 'baseline', counter };
  if (counter === last) return { kind: 'none', counter };
  const newestFirst = results.slice(0, EVENT_BUFFER_SIZE);
  if (counter === 0) {
    // A reset empties the buffer: events shown at 0 are a counter that went 255 → 0 (it must go to
    // 1) or a reset that kept them — maybe new, never to be dropped unsaid, not to be credited.
    const shown = newestFirst.filter((result) => result.a !== 0 || result.b !== 0).reverse();
    if (shown.length === 0) return { kind: 'reset', counter: 0 };
    return { kind: 'jump', counter: 0, missed: 0, visible: shown };
  }
  const distance = counterDistance(last, counter);
  if (distance >= 1 && distance <= EVENT_BUFFER_SIZE)
    return { kind: 'events', counter, events: newestFirst.slice(0, distance).reverse() };
  const visible = newestFirst.filter((result) => result.a !== 0 || result.b !== 0).reverse();
  return { kind: 'jump', counter, missed: Math.max(1, distance - EVENT_BUFFER_SIZE), visible };
}
