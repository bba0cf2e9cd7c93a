/**
 * A payment names its patron (barcode and name) for as long as something of it is left to do, and
 * for `payments.patronDataDays` after it ended — then the barcode, the name and the ILS's messages
 * (which may greet the patron by name) are forgotten, in the file and its log. The money stays.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreditJournal } from '../../../src/gateway/families/cash-device/credit-journal.js';
import { recordCheck } from '../../../src/gateway/payments/checks.js';
import { PaymentStore } from '../../../src/gateway/payments/store.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

const DAY_MS = 86_400_000;
const ENDED = Date.parse('2026-09-01T10:00:00Z');

let dir: string;
let db: Database;
let store: PaymentStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-payment-retention-'));
  db = openDatabase(join(dir, 'carrel.db'));
  new CreditJournal(db);
  store = new PaymentStore(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fee payment of €5 by patron `barcode`, its one line ended in `lineState`, the payment `state`. */
function payment(
  id: string,
  barcode: string,
  lineState: 'posted' | 'failed' | 'journaled',
  state: 'completed' | 'collecting' = 'completed',
) {
  store.create(
    {
      id,
      terminal: 'kiosk-1',
      patron: barcode,
      patron_name: `Name of ${barcode}`,
      purpose: 'fees',
      currency: 'EUR',
      amount_due_minor: 500,
      state: 'collecting',
      devices: '["coins-1"]',
      started_at: ENDED - 60_000,
    },
    [{ kind: 'fee', feeId: 'F1', dueMinor: 500, transactionId: `T-${id}` }],
  );
  store.setLine(id, 0, { paidMinor: 500, state: lineState, message: `Thank you, Name of ${barcode}` }, ENDED);
  if (state === 'completed') store.setState(id, 'completed', { at: ENDED, reason: 'paid' });
}

function fileHas(text: string): boolean {
  return readdirSync(dir)
    .filter((name) => name.startsWith('carrel.db'))
    .some((name) => readFileSync(join(dir, name)).includes(text));
}

describe('payments forget their patron', () => {
  it('forgets a settled payment ended before the cut-off, and keeps what staff still need', () => {
    payment('done', '21000011', 'posted');
    payment('owed', '21000012', 'posted');
    store.setOverpayment('owed', 0, 200); // €2 owed back, not paid out yet
    payment('failed', '21000013', 'failed'); // on the "to check" list
    payment('journaled', '21000014', 'journaled'); // still to post to the ILS
    payment('open', '21000015', 'posted', 'collecting');
    payment('paid-out', '21000016', 'posted');
    store.setOverpayment('paid-out', 0, 200);
    store.payOut('paid-out', 200, 'desk', ENDED + 1000);

    // Not yet: the payments ended after the cut-off.
    expect(store.forgetPatrons(ENDED - DAY_MS)).toBe(0);
    expect(store.forgetPatrons(ENDED + DAY_MS)).toBe(2);
    db.checkpoint();

    for (const id of ['done', 'paid-out']) {
      expect(store.get(id)).toMatchObject({ patron: '', patron_name: '', amount_due_minor: 500 });
      expect(store.lines(id)[0]).toMatchObject({ paid_minor: 500, state: 'posted', message: null });
    }
    expect(store.get('owed')?.patron).toBe('21000012');
    expect(store.get('failed')?.patron).toBe('21000013');
    expect(store.get('journaled')?.patron).toBe('21000014');
    expect(store.get('open')?.patron).toBe('21000015');
    expect(store.owing(10).map((row) => row.id)).toEqual(['owed']);

    for (const gone of ['21000011', '21000016']) expect(fileHas(gone)).toBe(false);
    for (const kept of ['21000012', '21000013', '21000014', '21000015']) expect(fileHas(kept)).toBe(true);
    // Done once: nothing more to forget.
    expect(store.forgetPatrons(ENDED + DAY_MS)).toBe(0);
  });

  it('forgets a payment on the to-check list once staff checked it, and the note they wrote', () => {
    payment('checked', '21000017', 'failed');
    payment('unchecked', '21000018', 'failed');
    expect(
      store
        .withFailedLines(10)
        .map((row) => row.id)
        .sort(),
    ).toEqual(['checked', 'unchecked']);
    expect(store.forgetPatrons(ENDED + DAY_MS)).toBe(0);

    recordCheck(
      store,
      'checked',
      { outcome: 'recorded-by-hand', note: 'rang 21000017 back' },
      'desk-staff',
      ENDED + 5000,
    );
    expect(store.withFailedLines(10).map((row) => row.id)).toEqual(['unchecked']);
    expect(store.forgetPatrons(ENDED + DAY_MS)).toBe(1);
    db.checkpoint();

    expect(store.get('checked')).toMatchObject({ patron: '', patron_name: '', amount_due_minor: 500 });
    expect(store.lines('checked')[0]).toMatchObject({ paid_minor: 500, state: 'failed', message: null });
    // What staff found, who and when stay; their note, which may name the patron, goes.
    expect(store.checkOf('checked')).toEqual({
      payment: 'checked',
      outcome: 'recorded-by-hand',
      note: null,
      staff: 'desk-staff',
      at: ENDED + 5000,
    });
    expect(fileHas('21000017')).toBe(false);
    expect(store.get('unchecked')?.patron).toBe('21000018');
    expect(fileHas('21000018')).toBe(true);
  });
});
