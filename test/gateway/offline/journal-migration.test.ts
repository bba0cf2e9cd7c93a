import { describe, expect, it } from 'vitest';
import { OfflineJournal, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

/** The journal as Carrel 0.1 left it (schema steps 1 and 2): checkouts and checkins only. */
const V2 = `CREATE TABLE offline_transactions (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('checkout', 'checkin')),
    patron TEXT, item TEXT NOT NULL, terminal TEXT NOT NULL, at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'replaying', 'done', 'conflict', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, message TEXT, last_error TEXT,
    accepted_at INTEGER NOT NULL, settled_at INTEGER);
  CREATE INDEX offline_transactions_by_state ON offline_transactions (state, sequence);
  CREATE INDEX offline_transactions_by_patron ON offline_transactions (patron, kind, state);
  CREATE INDEX offline_transactions_by_item ON offline_transactions (item, state, sequence);
  CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version));
  INSERT INTO schema_migrations VALUES ('offline-journal', 1, 'then'), ('offline-journal', 2, 'then');`;

describe('the offline journal schema step for fee payments', () => {
  it('keeps every row and never reuses a sequence number, even one whose row was purged', () => {
    const db = openDatabase(':memory:');
    db.exec(V2);
    const insert = db.prepare(
      `INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, state, accepted_at, settled_at)
       VALUES (?, ?, ?, ?, 'desk-1', 1, ?, 1, ?)`,
    );
    insert.run('a', 'checkout', 'P1', 'I1', 'pending', null);
    insert.run('b', 'checkin', null, 'I2', 'conflict', null);
    insert.run('c', 'checkout', 'P1', 'I3', 'done', 5);
    db.exec("DELETE FROM offline_transactions WHERE id = 'c'"); // purged: its number 3 stays used

    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    expect(journal.all().map((tx) => [tx.sequence, tx.id, tx.kind, tx.state])).toEqual([
      [1, 'a', 'checkout', 'pending'],
      [2, 'b', 'checkin', 'conflict'],
    ]);
    const paid = journal.accept({
      kind: 'feePaid',
      patron: 'P1',
      terminal: 'kiosk-1',
      at: 2,
      fee: { id: 'F-1', type: 'overdue', amountMinor: 250, currency: 'EUR', transactionId: 'CR-1' },
    });
    expect(paid.sequence).toBe(4);
    expect(journal.get(paid.id)).toMatchObject({
      kind: 'feePaid',
      item: '',
      fee: { id: 'F-1', type: 'overdue', amountMinor: 250, currency: 'EUR', transactionId: 'CR-1' },
    });
    expect(db.pragmaValue('integrity_check')).toBe('ok');
    db.close();
  });

  it('journals a fee payment whatever the policy, and refuses one that is not well formed', () => {
    const db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, {
      policy: offlinePolicySchema.parse({ enabled: false, maxTransactionsTotal: 0 }),
    });
    const fee = { type: 'other' as const, amountMinor: 100, currency: 'EUR', transactionId: 'CR-2' };
    expect(journal.accept({ kind: 'feePaid', patron: 'P1', terminal: 't', at: 1, fee }).sequence).toBe(1);
    expect(() =>
      journal.accept({
        kind: 'feePaid',
        patron: 'P1',
        terminal: 't',
        at: 1,
        fee: { ...fee, amountMinor: 0 },
      }),
    ).toThrow(expect.objectContaining({ code: 'offline_invalid_transaction' }));
    expect(() => journal.accept({ kind: 'checkin', item: 'I1', terminal: 't', at: 1 })).toThrow(
      expect.objectContaining({ code: 'offline_not_allowed' }),
    );
    journal.noteOwedBefore(journal.all()[0]!.id, 700);
    journal.noteOwedBefore(journal.all()[0]!.id, 100);
    expect(journal.all()[0]?.fee?.owedBeforeMinor).toBe(700);
    db.close();
  });
});
