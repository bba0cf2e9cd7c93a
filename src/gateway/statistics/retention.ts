/**
 * How long the desk keeps its statistics, and the daily pruning that enforces
 * it. Counts are kept for 400 days: a library compares a month with the same
 * month last year, and a query may span up to MAX_RANGE_DAYS (366), so a
 * year-on-year comparison of any month still finds last year's month whole.
 * Older hours are forgotten: one range DELETE on the primary key.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

const DAY_MS = 86_400_000;

/** Statistics are kept this many days (a year and a month, with room to spare). */
export const STATISTICS_RETENTION_DAYS = 400;
/** How often old statistics are pruned; also once at start, since a desk machine may not run a whole day. */
export const STATISTICS_PRUNE_INTERVAL_MS = DAY_MS;

export interface StatisticsRetentionOptions {
  /** What is pruned: DeskStatistics fits. `prune(before)` forgets hours before `before` (epoch ms). */
  statistics: { prune(before: number): number };
  clock: Clock;
  logger: Logger;
  retentionDays?: number;
  intervalMs?: number;
}

/** Prunes statistics older than the retention at start and then daily, on the injectable clock. */
export class StatisticsRetention {
  private timer: TimerHandle | undefined;
  private readonly retentionDays: number;

  constructor(private readonly options: StatisticsRetentionOptions) {
    this.retentionDays = options.retentionDays ?? STATISTICS_RETENTION_DAYS;
  }

  /** Prunes now, then every interval until stop(). Never throws: a failed prune is logged and tried again next time. */
  start(): void {
    if (this.timer) return;
    this.prune();
    this.timer = this.options.clock.setInterval(
      'statistics-prune',
      () => this.prune(),
      this.options.intervalMs ?? STATISTICS_PRUNE_INTERVAL_MS,
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Forgets counts older than the retention; returns how many rows went (0 when pruning failed). */
  prune(): number {
    const before = this.options.clock.now() - this.retentionDays * DAY_MS;
    try {
      const removed = this.options.statistics.prune(before);
      if (removed > 0) {
        this.options.logger.info(
          { removed, before: new Date(before).toISOString(), retentionDays: this.retentionDays },
          'old statistics pruned',
        );
      }
      return removed;
    } catch (error) {
      this.options.logger.warn({ error: describeError(error) }, 'statistics not pruned');
      return 0;
    }
  }
}
