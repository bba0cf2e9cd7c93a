/**
 * A desk upgraded with payments on its to-check list: the database the previous Carrel left
 * (payments schema steps 1 and 2, no checks) is migrated in place when the payments are first
 * used — the payment, its lines and its money as they were, still to check — and staff's check is
 * then recorded and takes it off the list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreditJournal } from '../../../src/gateway/families/cash-device/credit-journal.js';
import { recordCheck } from '../../../src/gateway/payments/checks.js';
import { PAYMENT_MIGRATIONS, PaymentStore } from '../../../src/gateway/payments/store.js';
import { paymentView } from '../../../src/gateway/payments/view.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

const ENDED = Date.parse('2026-11-02T10:00:00Z');

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-payment-schema-'));
  db = openDatabase(join(dir, 'carrel.db'));
  new CreditJournal(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The previous Carrel's database: a €5 fee payment whose one line failed, and one posted. */
function oldDatabase(): void {
  migrate(db, 'payments', PAYMENT_MIGRATIONS.slice(0, 2));
  const payment = db.prepare(
    `INSERT INTO payments (id, terminal, patron, patron_name, purpose, currency, amount_due_minor, state, devices,
       started_at, ended_at, end_reason, settled_minor) VALUES (?, 'kiosk-1', ?, 'Björn Müller', 'fees', 'EUR', 500,
       'completed', '["coins-1"]', ?, ?, 'paid', 500)`,
  );
  const line = db.prepare(
    `INSERT INTO payment_lines (payment, line, kind, fee_id, fee_type, due_minor, paid_minor, state, transaction_id,
       message, updated_at) VALUES (?, 0, 'fee', 'F-1002', 'replacement', 500, 500, ?, ?, ?, ?)`,
  );
  payment.run('failed', '21000003', ENDED - 60_000, ENDED);
  line.run('failed', 'failed', 'T-1', 'sip2_resend: the ILS asked for it again', ENDED);
  payment.run('posted', '21000004', ENDED - 60_000, ENDED);
  line.run('posted', 'posted', 'T-2', null, ENDED);
}

describe('the payments schema with checks, over a previous database', () => {
  it('keeps the payments as they were, still to check, and records a check afterwards', () => {
    oldDatabase();
    const store = new PaymentStore(db);
    const versions = db
      .prepare("SELECT MAX(version) AS version FROM schema_migrations WHERE component = 'payments'")
      .get() as { version: number };
    expect(versions.version).toBe(PAYMENT_MIGRATIONS.length);
    expect(store.get('failed')).toMatchObject({ patron: '21000003', state: 'completed', settled_minor: 500 });
    expect(store.lines('failed')).toEqual([expect.objectContaining({ state: 'failed', paid_minor: 500 })]);
    expect(store.withFailedLines(10).map((row) => row.id)).toEqual(['failed']);
    expect(store.checkOf('failed')).toBeUndefined();

    recordCheck(store, 'failed', { outcome: 'already-recorded' }, 'desk-staff', ENDED + 1000);
    expect(store.withFailedLines(10)).toEqual([]);
    expect(store.checkOf('failed')).toMatchObject({
      outcome: 'already-recorded',
      note: null,
      staff: 'desk-staff',
    });
    expect(() => recordCheck(store, 'posted', { outcome: 'already-recorded' }, 'desk-staff', ENDED)).toThrow(
      /nothing to check/,
    );

    // Opened again (the next start): migrated once, the check kept.
    expect(new PaymentStore(db).checkOf('failed')?.staff).toBe('desk-staff');
  });
});

describe('a check kept on a desk without tokens', () => {
  it("reads 'at this desk' where an older Carrel kept 'loopback', in the payment and in a second check's refusal", () => {
    oldDatabase();
    const store = new PaymentStore(db);
    recordCheck(store, 'failed', { outcome: 'recorded-by-hand' }, 'loopback', ENDED + 1000);
    const row = store.get('failed')!;
    const view = paymentView(
      row,
      store.lines('failed'),
      [],
      { accepting: [], expiresAt: ENDED },
      store.checkOf('failed'),
    );
    expect(view.check).toMatchObject({ outcome: 'recorded-by-hand', by: 'at this desk' });
    expect(() =>
      recordCheck(store, 'failed', { outcome: 'already-recorded' }, 'desk-staff', ENDED + 2000),
    ).toThrow(/already checked at this desk at/);
  });
});
