import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Clock, TimerHandle } from './clock.js';

/**
 * Gives back the memory a burst grew V8's young generation to, once the daemon is quiet again.
 *
 * The daemon lets V8 grow its young generation to 16 MB a semi-space (node-flags.ts): in a burst
 * — kiosks saturating the API, a self-check's bulk returns, a book drop emptied at the desk — the
 * requests in flight then die young instead of being promoted and marked (at 200 saturating kiosks
 * a checkout's garbage collection fell from 47 to 5.5 µs). V8 grows it from 1 MB as objects keep
 * surviving, and shrinks it again only at a collection that finds allocation slow over the last
 * seconds — but a quiet daemon hardly collects: 60 s after a burst of 40,000 checkouts it still held
 * 30 MB more than before, and the young generation a start-up grows stayed too.
 *
 * So every `everyMs`, when the event loop was quiet over that time and the young generation is
 * grown, it is collected (a scavenge of a nearly empty nursery: well under a millisecond); V8's
 * own rule then shrinks it, after two or three such quiet collections. Under load nothing is
 * forced: a busy event loop is left to V8, which keeps the young generation the load needs.
 */

export interface YoungGenerationTrimOptions {
  clock: Clock;
  /** How often to look; default 2 s. */
  everyMs?: number;
  /** V8's `gc` function, there when node was started with --expose-gc (the daemon's flags). */
  gc?: NodeJS.GCFunction;
  /** Bytes the young generation holds now (both semi-spaces); default from V8's heap statistics. */
  youngBytes?: () => number;
  /** The event loop's busy fraction since the last look (0–1); default from perf_hooks. */
  busy?: () => number;
}

/** V8 starts the young generation at 1 MB a semi-space and may make it 2 between collections. */
export const GROWN_YOUNG_BYTES = 4 * 1024 * 1024;
/** An event loop busier than this is serving: its young generation is V8's business. */
export const QUIET_BUSY_FRACTION = 0.05;
const DEFAULT_EVERY_MS = 2000;

/** Scavenges asked for in this process (the heap is the process's): /metrics counts them for IT. */
let trimsInProcess = 0;

export function youngGenerationTrims(): number {
  return trimsInProcess;
}

export function youngGenerationBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

function eventLoopBusy(): () => number {
  let since = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, since).utilization;
    since = now;
    return busy;
  };
}

export class YoungGenerationTrim {
  private timer: TimerHandle | undefined;
  /** Collections asked for, for the tests and a heap investigation. */
  collections = 0;

  private constructor(private readonly collect: NodeJS.GCFunction) {}

  /** Starts looking; undefined when this Node was not started with --expose-gc. */
  static start(options: YoungGenerationTrimOptions): YoungGenerationTrim | undefined {
    const gc = options.gc ?? globalThis.gc;
    if (typeof gc !== 'function') return undefined;
    const trim = new YoungGenerationTrim(gc);
    const busy = options.busy ?? eventLoopBusy();
    const youngBytes = options.youngBytes ?? youngGenerationBytes;
    trim.timer = options.clock.setInterval(
      'young-generation-trim',
      () => {
        // Both read every time: the busy fraction is over the time since the last look.
        const quiet = busy() < QUIET_BUSY_FRACTION;
        if (quiet && youngBytes() > GROWN_YOUNG_BYTES) trim.scavenge();
      },
      options.everyMs ?? DEFAULT_EVERY_MS,
    );
    return trim;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private scavenge(): void {
    this.collections++;
    trimsInProcess++;
    this.collect({ type: 'minor', execution: 'sync' });
  }
}
