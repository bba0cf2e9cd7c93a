/**
 * For tests of a device over a real socket on the fake clock: time is moved on in steps, with the
 * socket's I/O let happen between them, as it would go on in real time.
 */
import type { ManualClock } from '../../src/core/clock.js';

/** Moves the fake clock on in 50 ms steps, letting socket I/O happen between them, until `done()` or `ms`; returns the time moved. */
export async function runFor(
  clock: ManualClock,
  ms: number,
  done: () => boolean = () => false,
): Promise<number> {
  let elapsed = 0;
  while (elapsed < ms && !done()) {
    await clock.advance(50);
    elapsed += 50;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return elapsed;
}

/**
 * Lets real socket I/O happen between fake-clock steps; resolves once `done()` holds, and fails
 * with `not reached: <what>` after 400 turns of 5 ms (2 s and more).
 */
export async function untilReached(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`not reached: ${what}`);
}
