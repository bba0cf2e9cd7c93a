import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  OFFLINE_SETTLED_RETENTION_DAYS,
  OfflineJournal,
  type OfflineState,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { Retention } from '../../../src/gateway/retention.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 10, 30);
const POLICY = offlinePolicySchema.parse({ enabled: true });

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function journalAt(clock: ManualClock): OfflineJournal {
  db ??= openDatabase(':memory:');
  return new OfflineJournal(db, { policy: POLICY, clock });
}

/** One transaction brought to `state` through the journal's own transitions; returns its id. */
function inState(journal: OfflineJournal, state: OfflineState, item: string): string {
  const { id } = journal.accept({ kind: 'checkout', patron: '21000001', item, terminal: 'desk-1', at: T0 });
  if (state === 'pending') return id;
  journal.beginReplay(id);
  if (state === 'replaying') return id;
  if (state === 'done') {
    journal.markDone(id, 'sent');
    return id;
  }
  journal.markConflict(id, 'item_checked_out_to_another');
  if (state === 'discarded') journal.resolve(id, 'discard');
  return id;
}

const ALL_STATES: OfflineState[] = ['pending', 'replaying', 'done', 'conflict', 'discarded'];

describe('OfflineJournal.purgeSettled', () => {
  it('deletes done and discarded transactions settled before the cut, never pending, replaying or conflict', async () => {
    const clock = new ManualClock(T0);
    const journal = journalAt(clock);
    const old = new Map(ALL_STATES.map((state) => [state, inState(journal, state, `old-${state}`)]));
    await clock.advance(40 * DAY);
    const recentDone = inState(journal, 'done', 'recent-done');

    const removed = journal.purgeSettled(clock.now() - 30 * DAY);

    expect(removed).toBe(2);
    expect(journal.get(old.get('done')!)).toBeUndefined();
    expect(journal.get(old.get('discarded')!)).toBeUndefined();
    for (const state of ['pending', 'replaying', 'conflict'] as const) {
      expect(journal.get(old.get(state)!)?.state).toBe(state);
    }
    expect(journal.get(recentDone)?.state).toBe('done');
    expect(journal.counts()).toMatchObject({ pending: 1, replaying: 1, conflict: 1, done: 1, discarded: 0 });
  });

  it('goes by when a transaction was settled, not when it was taken', async () => {
    const clock = new ManualClock(T0);
    const journal = journalAt(clock);
    const { id } = journal.accept({ kind: 'checkin', item: 'I1', terminal: 'desk-1', at: T0 });
    await clock.advance(60 * DAY); // a long outage: replayed only now
    journal.beginReplay(id);
    journal.markDone(id, 'sent');
    expect(journal.purgeSettled(clock.now() - 30 * DAY)).toBe(0);
    expect(journal.get(id)?.state).toBe('done');
  });

  it('keeps replay order after a purge: sequence numbers are never reused', async () => {
    const clock = new ManualClock(T0);
    const journal = journalAt(clock);
    const last = inState(journal, 'done', 'a');
    const lastSequence = journal.get(last)!.sequence;
    await clock.advance(31 * DAY);
    journal.purgeSettled(clock.now() - 30 * DAY);
    const next = journal.accept({ kind: 'checkin', item: 'b', terminal: 'desk-1', at: clock.now() });
    expect(next.sequence).toBeGreaterThan(lastSequence);
  });
});

/** The journal's purge as the offline feature runs it. */
function offlineRetention(forget: (before: number) => number, clock: ManualClock): Retention {
  return new Retention({
    name: 'offline-purge',
    forget,
    retentionDays: OFFLINE_SETTLED_RETENTION_DAYS,
    clock,
    logger: silentLogger(),
  });
}

describe('the settled offline journal, purged by Retention', () => {
  it(`purges at start, then daily, what was settled over ${OFFLINE_SETTLED_RETENTION_DAYS} days ago; stops on stop`, async () => {
    const clock = new ManualClock(T0);
    const journal = journalAt(clock);
    const ancient = inState(journal, 'discarded', 'ancient');
    const waiting = inState(journal, 'pending', 'waiting');
    await clock.advance(OFFLINE_SETTLED_RETENTION_DAYS * DAY + 1);
    const settledNow = inState(journal, 'done', 'now');

    const retention = offlineRetention((before) => journal.purgeSettled(before), clock);
    retention.start();
    expect(journal.get(ancient)).toBeUndefined();
    expect(clock.pending()).toContain('offline-purge');

    await clock.advance(OFFLINE_SETTLED_RETENTION_DAYS * DAY); // not yet past: still kept
    expect(journal.get(settledNow)?.state).toBe('done');
    await clock.advance(DAY); // the next daily purge takes it
    expect(journal.get(settledNow)).toBeUndefined();
    expect(journal.get(waiting)?.state).toBe('pending');

    retention.stop();
    expect(clock.pending()).not.toContain('offline-purge');
  });

  it('logs and carries on when the journal cannot be purged', () => {
    const clock = new ManualClock(T0);
    const retention = offlineRetention(() => {
      throw new Error('database is closed');
    }, clock);
    expect(() => retention.start()).not.toThrow();
    expect(retention.purge()).toBe(0);
    retention.stop();
  });
});
