/**
 * The credit journal keeps each cash device's event counter with the serial number of the device
 * it was read from, so a spare fitted under the same id is told apart (the driver then counts
 * from the spare's own counter). A journal the previous Carrel wrote has counters without one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CashEventBatch } from '../../../src/devices/cash/index.js';
import {
  CASH_CREDIT_MIGRATIONS,
  CreditJournal,
} from '../../../src/gateway/families/cash-device/credit-journal.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

const AT = Date.parse('2026-12-07T10:00:00Z');

function batch(counter: number, valueMinor?: number): CashEventBatch {
  return {
    previousCounter: counter - 1,
    counter,
    reading: 'events',
    credits: valueMinor === undefined ? [] : [{ channel: 4, currency: 'EUR', valueMinor }],
    unverified: [],
    escrow: [],
    statuses: [],
  };
}

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

describe('the credit journal’s counters', () => {
  it('keeps the serial number of the device each counter was read from, with the credit, in one commit', () => {
    db = openDatabase(':memory:');
    const journal = new CreditJournal(db);
    expect(journal.lastCounter('coins-1')).toBeUndefined();
    journal.commit('coins-1', 'coin-acceptor', batch(7, 100), AT, 0x00c01a);
    expect(journal.lastCounter('coins-1')).toEqual({ counter: 7, serial: 0x00c01a });
    // A spare: its counter and serial replace the old ones.
    journal.commit('coins-1', 'coin-acceptor', { ...batch(3), reading: 'baseline' }, AT + 1, 0x00c02b);
    expect(journal.lastCounter('coins-1')).toEqual({ counter: 3, serial: 0x00c02b });
    expect(journal.lastCounter('notes-1')).toBeUndefined();
  });

  it('reads a counter the previous Carrel journaled without a serial number as of no known device', () => {
    db = openDatabase(':memory:');
    // The journal as the previous Carrel left it: step 1 only, a counter without a serial number.
    migrate(db, 'cash-credits', CASH_CREDIT_MIGRATIONS.slice(0, 1));
    db.prepare('INSERT INTO cash_counters (device, counter, updated_at) VALUES (?, ?, ?)').run(
      'coins-1',
      42,
      AT,
    );
    const journal = new CreditJournal(db);
    expect(journal.lastCounter('coins-1')).toEqual({ counter: 42, serial: null });
    journal.commit('coins-1', 'coin-acceptor', batch(43, 50), AT + 1, 0x00c01a);
    expect(journal.lastCounter('coins-1')).toEqual({ counter: 43, serial: 0x00c01a });
  });
});
