/**
 * Keeping records no longer than they are needed: a purge of what is older than
 * the retention, once at start (a desk machine may not run a whole day) and then
 * daily, on the injectable clock. One class for every store that forgets: the
 * statistics (400 days) and the settled offline journal (30 days).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** Names the timer (`offline-purge`, `statistics-prune`) and the log lines. */
  name: string;
  /** Forgets what is older than `before` (epoch ms); returns how many records went. */
  forget(before: number): number;
  /** Records are kept this many days. */
  retentionDays: number;
  clock: Clock;
  logger: Logger;
  /** Between purges; a day by default. */
  intervalMs?: number;
}

export class Retention {
  private timer: TimerHandle | undefined;

  constructor(private readonly options: RetentionOptions) {}

  /** Purges now, then every interval until stop(). Never throws: a failed purge is logged and tried again next time. */
  start(): void {
    if (this.timer) return;
    this.purge();
    this.timer = this.options.clock.setInterval(
      this.options.name,
      () => this.purge(),
      this.options.intervalMs ?? DAY_MS,
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Forgets what is older than the retention; returns how many records went (0 when the purge failed). */
  purge(): number {
    const { name, retentionDays, clock, logger } = this.options;
    const before = clock.now() - retentionDays * DAY_MS;
    try {
      const removed = this.options.forget(before);
      if (removed > 0)
        logger.info(
          { retention: name, removed, before: new Date(before).toISOString(), retentionDays },
          'old records forgotten',
        );
      return removed;
    } catch (error) {
      logger.warn({ retention: name, error: describeError(error) }, 'old records not forgotten');
      return 0;
    }
  }
}
