/**
 * Connection refusals and evictions, logged per source address without
 * flooding the journal: the first one from a source is logged at once, the rest
 * are counted and logged as one line per source per minute. A flood of 200
 * connections from one machine is two lines, not 200.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';

export const SOURCE_LOG_WINDOW_MS = 60_000;
/** Sources tracked at once; past this, new sources share one entry. */
export const MAX_LOGGED_SOURCES = 1024;
const OTHER_SOURCES = 'other sources';

/** A connection refused at a limit, closed to make room, or closed for not logging in in time. */
export type ConnectionEvent = 'refused' | 'evicted' | 'loginTimeout';

type Counts = Record<ConnectionEvent, number>;

interface SourceWindow {
  counts: Counts;
  timer: TimerHandle;
}

const MESSAGES: Record<ConnectionEvent, string> = {
  refused: 'self-check connection refused: connection limit reached',
  evicted: 'self-check connection that had not logged in closed to make room for a new one',
  loginTimeout: 'self-check connection closed: no login in time',
};

export class SourceConnectionLog {
  private readonly windows = new Map<string, SourceWindow>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /**
   * One connection from `source` refused, closed to make room or closed for no
   * login; `detail` (which limit) goes on the first line.
   */
  note(source: string, event: ConnectionEvent, detail: Record<string, unknown> = {}): void {
    const key = this.windows.has(source) || this.windows.size < MAX_LOGGED_SOURCES ? source : OTHER_SOURCES;
    const open = this.windows.get(key);
    if (open) {
      open.counts[event]++;
      return;
    }
    this.logger.warn({ source: key, ...detail }, `${MESSAGES[event]} (more from this source are counted)`);
    this.open(key);
  }

  private open(key: string): void {
    this.windows.set(key, {
      counts: { refused: 0, evicted: 0, loginTimeout: 0 },
      timer: this.clock.setTimeout('sip2-relay-source-log', () => this.close(key), SOURCE_LOG_WINDOW_MS),
    });
  }

  /** Logs what is counted and forgets every source (the relay stopping). */
  flush(): void {
    for (const key of [...this.windows.keys()]) this.close(key, false);
  }

  /** Ends a source's minute: one line with its counts, and another minute if there were any. */
  private close(key: string, again = true): void {
    const window = this.windows.get(key);
    if (!window) return;
    window.timer.cancel();
    this.windows.delete(key);
    const { counts } = window;
    if (counts.refused + counts.evicted + counts.loginTimeout === 0) return;
    this.logger.warn(
      { source: key, ...counts, seconds: SOURCE_LOG_WINDOW_MS / 1000 },
      'more self-check connections refused, closed to make room or closed for no login',
    );
    // Still coming: keep counting for another minute, without a first line of its own.
    if (again) this.open(key);
  }
}
