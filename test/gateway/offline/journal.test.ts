import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import {
  OfflineJournal,
  type OfflinePolicy,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const POLICY: OfflinePolicy = offlinePolicySchema.parse({ enabled: true });
const PATRON = '21000001';
const AT = Date.UTC(2026, 0, 5, 10, 30);

let dir: string | undefined;
const open: Database[] = [];
function database(file?: string): Database {
  const db = openDatabase(file ?? ':memory:');
  open.push(db);
  return db;
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function checkout(item: string, patron = PATRON) {
  return { kind: 'checkout' as const, patron, item, terminal: 'desk-1', at: AT };
}

describe('offlinePolicySchema', () => {
  it('keeps offline circulation off unless the config turns it on', () => {
    expect(offlinePolicySchema.parse({})).toEqual({
      enabled: false,
      checkouts: true,
      checkins: true,
      maxCheckoutsPerPatron: 10,
      maxTransactionsTotal: 5000,
      settledRetentionDays: 30,
    });
    expect(offlinePolicySchema.safeParse({ enabled: true, maxCheckoutsPerPatron: -1 }).success).toBe(false);
    expect(offlinePolicySchema.safeParse({ settledRetentionDays: 0 }).success).toBe(false);
    expect(offlinePolicySchema.safeParse({ enabled: true, surprise: 1 }).success).toBe(false);
  });
});

describe('OfflineJournal.accept', () => {
  it('journals transactions in sequence, durably: a reopened database has them all', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'carrel-offline-'));
    const file = path.join(dir, 'carrel.db');
    const first = new OfflineJournal(database(file), { policy: POLICY, clock: new ManualClock(AT + 1000) });
    const a = first.accept(checkout('31000005'));
    const b = first.accept({ kind: 'checkin', item: '31000001', terminal: 'desk-1', at: AT + 60_000 });
    expect(b.sequence).toBeGreaterThan(a.sequence);
    open.pop()?.close();

    const again = new OfflineJournal(database(file), { policy: POLICY });
    expect(again.pending()).toEqual([
      {
        id: a.id,
        sequence: a.sequence,
        kind: 'checkout',
        patron: PATRON,
        item: '31000005',
        terminal: 'desk-1',
        at: AT,
        state: 'pending',
        attempts: 0,
        acceptedAt: AT + 1000,
      },
      expect.objectContaining({ id: b.id, kind: 'checkin', item: '31000001', at: AT + 60_000 }),
    ]);
    expect(again.pending()[1]).not.toHaveProperty('patron');
  });

  it('refuses what the policy does not allow, with typed errors', () => {
    const off = new OfflineJournal(database(), { policy: offlinePolicySchema.parse({}) });
    expect(() => off.accept(checkout('31000005'))).toThrow(
      expect.objectContaining({ code: 'offline_not_allowed' }),
    );
    const noCheckouts = new OfflineJournal(database(), { policy: { ...POLICY, checkouts: false } });
    expect(() => noCheckouts.accept(checkout('31000005'))).toThrow(
      expect.objectContaining({ code: 'offline_not_allowed' }),
    );
    expect(noCheckouts.accept({ kind: 'checkin', item: '31000005', terminal: 't', at: AT }).sequence).toBe(1);
    const noCheckins = new OfflineJournal(database(), { policy: { ...POLICY, checkins: false } });
    expect(() => noCheckins.accept({ kind: 'checkin', item: '31000005', terminal: 't', at: AT })).toThrow(
      expect.objectContaining({ code: 'offline_not_allowed' }),
    );
    expect(noCheckins.counts().outstanding).toBe(0);
  });

  it('limits checkouts per patron and transactions in total, counting only what is outstanding', () => {
    const journal = new OfflineJournal(database(), {
      policy: { ...POLICY, maxCheckoutsPerPatron: 2, maxTransactionsTotal: 4 },
    });
    const first = journal.accept(checkout('31000005'));
    journal.accept(checkout('31000006'));
    expect(() => journal.accept(checkout('31000007'))).toThrow(
      expect.objectContaining({ code: 'offline_limit_reached' }),
    );
    journal.accept(checkout('31000007', '21000009'));
    journal.accept({ kind: 'checkin', item: '31000001', terminal: 't', at: AT });
    expect(() => journal.accept(checkout('31000008', '21000006'))).toThrow(
      expect.objectContaining({ code: 'offline_limit_reached' }),
    );
    expect(journal.counts()).toMatchObject({ pending: 4, outstanding: 4 });

    // Once replayed, a transaction no longer counts against the limits.
    expect(journal.beginReplay(first.id)).toBe(true);
    journal.markDone(first.id, 'sent');
    expect(journal.accept(checkout('31000009')).sequence).toBe(first.sequence + 4);
  });

  it('refuses malformed transactions without echoing them', () => {
    const journal = new OfflineJournal(database(), { policy: POLICY });
    expect(() => journal.accept({ kind: 'checkout', item: '31000005', terminal: 't', at: AT })).toThrow(
      expect.objectContaining({ code: 'offline_invalid_transaction' }),
    );
    expect(() => journal.accept(checkout(''))).toThrow(
      expect.objectContaining({ code: 'offline_invalid_transaction' }),
    );
    expect(() => journal.accept({ ...checkout('31000005'), at: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'offline_invalid_transaction' }),
    );
    expect(journal.counts().outstanding).toBe(0);
  });

  it('never writes the patron id to the log', () => {
    let output = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const journal = new OfflineJournal(database(), {
      policy: { ...POLICY, maxCheckoutsPerPatron: 1 },
      logger: createLogger({ level: 'debug', destination }),
    });
    const { id } = journal.accept(checkout('31000005', '29999000111222'));
    expect(() => journal.accept(checkout('31000006', '29999000111222'))).toThrow(
      expect.not.stringContaining('29999000111222'),
    );
    journal.beginReplay(id);
    journal.markConflict(id, 'patron_blocked', 'Card blocked');
    journal.resolve(id, 'discard');
    expect(output).toContain(id);
    expect(output).not.toContain('29999000111222');
  });
});

describe('OfflineJournal.resolve', () => {
  it('lets staff retry or discard a conflict, and nothing else', () => {
    const journal = new OfflineJournal(database(), { policy: POLICY });
    const a = journal.accept(checkout('31000005'));
    const b = journal.accept(checkout('31000006'));
    for (const { id } of [a, b]) {
      journal.beginReplay(id);
      journal.markConflict(id, 'item_checked_out_to_another');
    }
    expect(journal.conflicts().map((tx) => [tx.id, tx.reason, tx.attempts])).toEqual([
      [a.id, 'item_checked_out_to_another', 1],
      [b.id, 'item_checked_out_to_another', 1],
    ]);

    const retried = journal.resolve(a.id, 'retry');
    expect(retried).toMatchObject({ state: 'pending', attempts: 1 });
    expect(retried).not.toHaveProperty('reason');
    expect(journal.resolve(b.id, 'discard')).toMatchObject({ state: 'discarded' });
    expect(journal.counts()).toEqual({
      pending: 1,
      replaying: 0,
      conflict: 0,
      done: 0,
      discarded: 1,
      outstanding: 1,
    });
    expect(() => journal.resolve(a.id, 'discard')).toThrow(
      expect.objectContaining({ code: 'offline_not_in_conflict' }),
    );
    expect(() => journal.resolve('no-such-id', 'retry')).toThrow(
      expect.objectContaining({ code: 'offline_not_found' }),
    );
  });
});

describe('OfflineJournal.firstWaitingFor', () => {
  const keysOf = (item: string, patron?: string) => ({ items: [item], patron });

  it('follows a transaction through every state: waiting while pending or replaying, not once settled', () => {
    const journal = new OfflineJournal(database(), { policy: POLICY });
    expect(journal.firstWaitingFor(keysOf('31000005', PATRON))).toBeUndefined();
    const a = journal.accept(checkout('31000005'));
    expect(journal.firstWaitingFor(keysOf('31000005'))?.id).toBe(a.id);
    // The patron's other items wait behind it too.
    expect(journal.firstWaitingFor(keysOf('31009999', PATRON))?.id).toBe(a.id);
    expect(journal.firstWaitingFor(keysOf('31009999', '21000002'))).toBeUndefined();
    journal.beginReplay(a.id);
    expect(journal.firstWaitingFor(keysOf('31000005'))?.id).toBe(a.id);
    journal.interruptReplay(a.id, 'ils_timeout');
    expect(journal.firstWaitingFor(keysOf('31000005'))?.id).toBe(a.id);
    journal.beginReplay(a.id);
    journal.markConflict(a.id, 'item_checked_out_to_another');
    expect(journal.firstWaitingFor(keysOf('31000005'))).toBeUndefined();
    expect(journal.waitingCount()).toBe(0);
    journal.resolve(a.id, 'retry');
    expect(journal.firstWaitingFor(keysOf('31000005'))?.id).toBe(a.id);
    journal.beginReplay(a.id);
    journal.markDone(a.id, 'sent');
    expect(journal.firstWaitingFor(keysOf('31000005', PATRON))).toBeUndefined();
    const fee = journal.accept({
      kind: 'feePaid',
      patron: PATRON,
      terminal: 'desk-1',
      at: AT,
      fee: { id: 'F-1', type: 'overdue', amountMinor: 150, currency: 'USD', transactionId: 'T-1' },
    });
    expect(journal.firstWaitingFor(keysOf('31000005', PATRON))?.id).toBe(fee.id);
  });

  it('does not trust a count taken inside a transaction that is then rolled back', () => {
    const db = database();
    const journal = new OfflineJournal(db, { policy: POLICY });
    const a = journal.accept(checkout('31000005'));
    journal.beginReplay(a.id);
    expect(() =>
      db.transaction(() => {
        journal.markDone(a.id, 'sent');
        expect(journal.firstWaitingFor(keysOf('31000005'))).toBeUndefined();
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(journal.firstWaitingFor(keysOf('31000005'))?.id).toBe(a.id);
  });
});
