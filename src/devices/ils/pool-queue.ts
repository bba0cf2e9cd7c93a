/**
 * Who waits for a connection of the ILS pool: callers while every connection is busy, in the
 * order they came and no more than the pool allows, and connect() while every slot is still
 * held from before the link went down. The pool says when a slot is let go; this hands it on.
 */
import { IlsError } from './errors.js';
import { freeSlotOf, type Slot } from './pool-slot.js';

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: Error): void;
}

export class SlotQueue {
  private readonly waiters: Waiter[] = [];
  /** connect() waiting for a slot held from before the link went down to be let go. */
  private readonly onFreed: Array<() => void> = [];

  constructor(
    private readonly slots: readonly Slot[],
    private readonly maxWaiting: number,
  ) {}

  /** Callers waiting for a connection. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * A free slot, taken at once; else a place in the queue, or `ils_busy` when it is full.
   * `notFailing` for a request sent again (freeSlotOf).
   */
  take(notFailing: boolean): Promise<Slot> {
    const free = freeSlotOf(this.slots, notFailing);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    // A connection busy with the pool's own 99 is not a caller's: one request may wait for each.
    const probing = this.slots.reduce((n, s) => n + (s.probing ? 1 : 0), 0);
    if (this.waiters.length >= this.maxWaiting + probing) {
      return Promise.reject(
        new IlsError(
          'ils_busy',
          `all ${this.slots.length} ILS connections busy and ${this.waiters.length} requests waiting`,
        ),
      );
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A slot let go: to the next caller waiting, busy for them, when `handOn` (the link is up); else free. */
  release(slot: Slot, handOn: boolean): void {
    const next = handOn ? this.waiters.shift() : undefined;
    if (next) {
      next.resolve(slot);
      return;
    }
    slot.busy = false;
    for (const freed of this.onFreed.splice(0)) freed();
  }

  /** Resolves once a slot is let go. */
  oneFreed(): Promise<void> {
    return new Promise<void>((resolve) => this.onFreed.push(resolve));
  }

  /** Every caller waiting fails with `error`. */
  rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
