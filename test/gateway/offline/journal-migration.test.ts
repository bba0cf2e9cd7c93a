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

/** The journal as schema step 3 left it: fee payments beside checkouts and checkins. */
const V3 = `CREATE TABLE offline_transactions (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('checkout', 'checkin', 'feePaid')),
    patron TEXT, item TEXT NOT NULL, terminal TEXT NOT NULL, at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
      CHECK (state IN ('pending', 'replaying', 'done', 'conflict', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, message TEXT, last_error TEXT,
    accepted_at INTEGER NOT NULL, settled_at INTEGER,
    fee_id TEXT, fee_type TEXT, amount_minor INTEGER, currency TEXT, transaction_id TEXT,
    owed_before_minor INTEGER,
    CHECK (kind != 'feePaid' OR (patron IS NOT NULL AND amount_minor > 0 AND transaction_id IS NOT NULL)));
  CREATE INDEX offline_transactions_by_state ON offline_transactions (state, sequence);
  CREATE INDEX offline_transactions_by_patron ON offline_transactions (patron, kind, state);
  CREATE INDEX offline_transactions_by_item ON offline_transactions (item, state, sequence);
  CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version));
  INSERT INTO schema_migrations VALUES
    ('offline-journal', 1, 'then'), ('offline-journal', 2, 'then'), ('offline-journal', 3, 'then');`;

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

describe('the offline journal schema step for blocks of patrons’ cards', () => {
  it('keeps a fee payment journaled before it, its owed-before amount and sequence, and takes a block after', () => {
    // The journal as step 3 left it (fee payments), a payment waiting and a purged row's number used.
    const v3 = openDatabase(':memory:');
    v3.exec(V3);
    v3.exec(`
      INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, accepted_at,
        fee_id, fee_type, amount_minor, currency, transaction_id, owed_before_minor)
        VALUES ('f', 'feePaid', 'P1', '', 'kiosk-1', 1, 1, 'F-1', 'overdue', 250, 'EUR', 'CR-1', 750);
      INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, state, accepted_at, settled_at)
        VALUES ('g', 'checkin', NULL, 'I9', 'kiosk-1', 1, 'done', 1, 2);
      DELETE FROM offline_transactions WHERE id = 'g';`);
    const journal = new OfflineJournal(v3, { policy: offlinePolicySchema.parse({ enabled: false }) });
    expect(journal.all()).toMatchObject([
      {
        sequence: 1,
        id: 'f',
        kind: 'feePaid',
        fee: { id: 'F-1', amountMinor: 250, currency: 'EUR', transactionId: 'CR-1', owedBeforeMinor: 750 },
      },
    ]);
    const blocked = journal.accept({
      kind: 'blockPatron',
      patron: 'P2',
      terminal: 'kiosk-1',
      at: 3,
      block: { cardRetained: true, message: 'Card retained' },
    });
    expect(blocked.sequence).toBe(3);
    expect(journal.get(blocked.id)).toMatchObject({
      kind: 'blockPatron',
      patron: 'P2',
      item: '',
      state: 'pending',
      block: { cardRetained: true, message: 'Card retained' },
    });
    expect(v3.pragmaValue('integrity_check')).toBe('ok');
    v3.close();
  });
});

describe('the offline journal schema step for payment types', () => {
  it('leaves a payment journaled before it without one (replayed as cash) and keeps one taken after', () => {
    const v3 = openDatabase(':memory:');
    v3.exec(V3);
    v3.exec(`
      INSERT INTO offline_transactions (id, kind, patron, item, terminal, at, accepted_at,
        fee_id, fee_type, amount_minor, currency, transaction_id)
        VALUES ('f', 'feePaid', 'P1', '', 'kiosk-1', 1, 1, 'F-1', 'overdue', 250, 'EUR', 'CR-1');`);
    const journal = new OfflineJournal(v3, { policy: offlinePolicySchema.parse({ enabled: false }) });
    expect(journal.get('f')?.fee).not.toHaveProperty('paymentType');
    const fee = { type: 'overdue' as const, amountMinor: 100, currency: 'EUR', transactionId: 'CR-2' };
    const card = journal.accept({
      kind: 'feePaid',
      patron: 'P1',
      terminal: 'kiosk-1',
      at: 2,
      fee: { ...fee, paymentType: '02' },
    });
    expect(journal.get(card.id)?.fee).toMatchObject({ paymentType: '02', amountMinor: 100 });
    expect(() =>
      journal.accept({
        kind: 'feePaid',
        patron: 'P1',
        terminal: 't',
        at: 2,
        fee: { ...fee, paymentType: '2' },
      }),
    ).toThrow(expect.objectContaining({ code: 'offline_invalid_transaction' }));
    expect(v3.pragmaValue('integrity_check')).toBe('ok');
    v3.close();
  });
});
