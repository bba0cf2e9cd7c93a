/**
 * How a SIGKILL test's child prints a line: at once and whole, before it takes its next step, so
 * that what the parent reads is what the child had done when it was killed.
 *
 * `writeSync(1, …)` alone is not enough. The child's stdout is a pipe that Node may have made
 * non-blocking, and when the parent (a busy test worker) has not read the last 64 KiB yet, the
 * write fails with EAGAIN or writes part of the line. The child waits a millisecond and writes
 * the rest.
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
