import type { Database } from './database.js';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes asked for in the same turn of the event loop share one
 * transaction, so they share one fsync. With synchronous=FULL a commit costs a
 * flush of the disk, and a disk that flushes 400 times a second would otherwise
 * cap every durable write at 400 a second, however many stations ask at once.
 *
 * Each piece of work runs in its own savepoint inside the shared transaction,
 * in the order asked: a piece that throws undoes only its own writes and
 * rejects only its own promise, and a later piece reads what an earlier one
 * wrote (a balance, an allowance, a request id). Every promise settles only
 * after COMMIT has returned, so nothing is acknowledged before it is durable;
 * when the COMMIT itself fails, every piece of the group is rejected and none
 * of it is on disk.
 *
 * A lone write waits for nothing but the current turn (`setImmediate`), and a
 * group is capped at `maxGroup` pieces so one transaction never holds the
 * write lock for long.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly maxGroup: number;

  constructor(
    private readonly db: Database,
    options: { maxGroup?: number } = {},
  ) {
    this.maxGroup = options.maxGroup ?? 256;
  }

  /** Runs `work` (synchronous) in the next group's transaction; settles once that is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const group = this.queue.splice(0, this.maxGroup);
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(() => this.flush());
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const pending of group) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(pending.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }, 'immediate');
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}
