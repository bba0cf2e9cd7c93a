/**
 * How long the offline journal keeps transactions that are settled for good
 * (replayed into the ILS, or discarded by staff), and the daily purge that
 * enforces it. Thirty days lets staff answer "did my offline return go
 * through?" after an outage, and no longer: the journal holds patron ids, and
 * what the ILS already has is the ILS's record, not ours. Transactions still
 * waiting (pending, replaying) or waiting for staff (conflict) are never
 * purged, however old.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

const DAY_MS = 86_400_000;

/** Settled offline transactions are kept this many days after they were settled. */
export const OFFLINE_SETTLED_RETENTION_DAYS = 30;
/** How often settled transactions are purged; also once at start. */
export const OFFLINE_PURGE_INTERVAL_MS = DAY_MS;

export interface OfflineRetentionOptions {
  /** What is purged: OfflineJournal fits. */
  journal: { purgeSettled(before: number): number };
  clock: Clock;
  logger: Logger;
  retentionDays?: number;
  intervalMs?: number;
}

/** Purges settled offline transactions past the retention at start and then daily, on the injectable clock. */
export class OfflineRetention {
  private timer: TimerHandle | undefined;
  private readonly retentionDays: number;

  constructor(private readonly options: OfflineRetentionOptions) {
    this.retentionDays = options.retentionDays ?? OFFLINE_SETTLED_RETENTION_DAYS;
  }

  /** Purges now, then every interval until stop(). Never throws: a failed purge is logged and tried again next time. */
  start(): void {
    if (this.timer) return;
    this.purge();
    this.timer = this.options.clock.setInterval(
      'offline-purge',
      () => this.purge(),
      this.options.intervalMs ?? OFFLINE_PURGE_INTERVAL_MS,
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Deletes settled transactions older than the retention; returns how many went (0 when the purge failed). */
  purge(): number {
    const before = this.options.clock.now() - this.retentionDays * DAY_MS;
    try {
      return this.options.journal.purgeSettled(before);
    } catch (error) {
      this.options.logger.warn({ error: describeError(error) }, 'settled offline transactions not purged');
      return 0;
    }
  }
}
