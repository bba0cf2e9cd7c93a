import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

let dir: string;
let db: Database;
let ledger: PrintLedger;
const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
const PATRON = '21234000000001';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-ledger-'));
  db = openDatabase(join(dir, 'carrel.db'));
  ledger = new PrintLedger(db, { currency: 'EUR', clock });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const deposit = (
  requestId: string,
  amountMinor: number,
  extra: Partial<Parameters<PrintLedger['deposit']>[0]> = {},
) =>
  ledger.deposit({
    requestId,
    patron: PATRON,
    amountMinor,
    currency: 'EUR',
    source: 'cash-desk',
    staff: 'desk-1',
    ...extra,
  });

describe('print ledger', () => {
  it('credits a deposit once, however often the same request is retried', () => {
    const first = deposit('deposit-0001', 500);
    expect(first).toMatchObject({ balanceMinor: 500, currency: 'EUR', repeated: false });
    const again = deposit('deposit-0001', 500);
    expect(again).toEqual({ ...first, repeated: true });
    expect(ledger.balance(PATRON).balanceMinor).toBe(500);
  });

  it('refuses a request id reused for a different amount', () => {
    deposit('deposit-0002', 500);
    expect(() => deposit('deposit-0002', 700)).toThrow(
      expect.objectContaining({ code: 'request_id_conflict' }),
    );
  });

  it('refuses negative, fractional, absurd and non-number amounts with amount_invalid, crediting nothing', () => {
    for (const amount of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 10_000_001, 2 ** 60])
      expect(() => deposit(`bad-${amount}-000`, amount), String(amount)).toThrow(
        expect.objectContaining({ code: 'amount_invalid' }),
      );
    expect(ledger.balance(PATRON).balanceMinor).toBe(0);
  });

  it('refuses another currency than the account is kept in', () => {
    expect(() => deposit('deposit-usd-1', 100, { currency: 'USD' })).toThrow(
      expect.objectContaining({ code: 'print_account_currency_mismatch' }),
    );
  });

  it('never lets a charge take the balance below zero', () => {
    deposit('deposit-0003', 100);
    expect(() =>
      ledger.post({
        requestId: 'charge-0001',
        account: PATRON,
        kind: 'charge',
        amountMinor: -150,
        currency: 'EUR',
      }),
    ).toThrow(expect.objectContaining({ code: 'print_account_insufficient' }));
    expect(ledger.balance(PATRON).balanceMinor).toBe(100);
  });

  it('refuses a charge with the wrong sign', () => {
    deposit('deposit-0004', 100);
    expect(() =>
      ledger.post({
        requestId: 'charge-0002',
        account: PATRON,
        kind: 'charge',
        amountMinor: 50,
        currency: 'EUR',
      }),
    ).toThrow(expect.objectContaining({ code: 'amount_invalid' }));
  });

  it('is append-only: SQLite itself refuses to change or delete an entry', () => {
    deposit('deposit-0005', 100);
    expect(() => db.exec('UPDATE print_ledger SET amount_minor = 1000000')).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM print_ledger')).toThrow(/append-only/);
    expect(ledger.balance(PATRON).balanceMinor).toBe(100);
  });

  it('keeps its entries after the database is closed and opened again', () => {
    deposit('deposit-0006', 250);
    db.close();
    db = openDatabase(join(dir, 'carrel.db'));
    ledger = new PrintLedger(db, { currency: 'EUR', clock });
    expect(ledger.balance(PATRON).balanceMinor).toBe(250);
    expect(ledger.entries(PATRON)).toHaveLength(1);
  });

  it('reports a day: deposits by source, payouts, refunds and income per queue', () => {
    deposit('deposit-0007', 1000);
    deposit('deposit-0008', 300, { source: 'payment-device' });
    ledger.post({
      requestId: 'charge-0003',
      account: PATRON,
      kind: 'charge',
      amountMinor: -40,
      currency: 'EUR',
      queue: 'public-bw',
      pages: 4,
    });
    ledger.post({
      requestId: 'refund-0001',
      account: PATRON,
      kind: 'refund',
      amountMinor: 10,
      currency: 'EUR',
      queue: 'public-bw',
      reason: 'jam',
    });
    ledger.post({
      requestId: 'payout-0001',
      account: PATRON,
      kind: 'payout',
      amountMinor: -1270,
      currency: 'EUR',
      staff: 'desk-1',
    });
    const report = ledger.dailyReport('2026-06-01');
    expect(report).toEqual({
      date: '2026-06-01',
      currency: 'EUR',
      deposits: { count: 2, totalMinor: 1300, bySource: { 'cash-desk': 1000, 'payment-device': 300 } },
      payouts: { count: 1, totalMinor: 1270 },
      refunds: { count: 1, totalMinor: 10 },
      adjustments: { count: 0, totalMinor: 0 },
      queues: [{ queue: 'public-bw', chargedMinor: 40, refundedMinor: 10, incomeMinor: 30, impressions: 4 }],
    });
    expect(ledger.dailyReport('2026-06-02').deposits.count).toBe(0);
    // 2026-05-32 is not 1 June: a day past its month's end reports nothing of the day it rolls to.
    for (const date of ['2026-05-32', '2026-06-00', '2026-02-29', '2026-13-01'])
      expect(() => ledger.dailyReport(date), date).toThrow(/a day of the calendar/);
  });

  it('keeps its invariants through thousands of random operations, retries and bad requests', () => {
    const patrons = ['p-1', 'p-2', 'p-3'];
    const operation = fc.record({
      kind: fc.constantFrom('deposit', 'charge', 'refund', 'payout', 'adjustment'),
      patron: fc.constantFrom(...patrons),
      amount: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(0, -3, 1.25, 2_000_000)),
      currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'USD'),
      retryOf: fc.option(fc.nat({ max: 50 }), { freq: 4 }),
    });
    fc.assert(
      fc.property(fc.array(operation, { minLength: 200, maxLength: 400 }), (operations) => {
        const scratch = openDatabase(':memory:');
        const book = new PrintLedger(scratch, { currency: 'EUR', clock });
        const model = new Map<string, number>();
        const done: Array<{
          requestId: string;
          account: string;
          kind: string;
          amountMinor: number;
          currency: string;
        }> = [];
        operations.forEach((op, i) => {
          const retry = op.retryOf !== null && done.length > 0 ? done[op.retryOf % done.length] : undefined;
          const sign = op.kind === 'charge' || op.kind === 'payout' ? -1 : 1;
          const posting = retry ?? {
            requestId: `request-${i.toString().padStart(6, '0')}`,
            account: op.patron,
            kind: op.kind,
            amountMinor: sign * op.amount,
            currency: op.currency,
          };
          const before = model.get(posting.account) ?? 0;
          try {
            const { repeated } = book.post(posting as Parameters<PrintLedger['post']>[0]);
            if (!repeated) {
              model.set(posting.account, before + posting.amountMinor);
              done.push(posting);
            } else {
              expect(retry).toBeDefined();
            }
          } catch (error) {
            expect([
              'amount_invalid',
              'print_account_insufficient',
              'print_account_currency_mismatch',
            ]).toContain((error as { code: string }).code);
          }
        });
        expect(book.invariantViolations()).toEqual([]);
        for (const patron of patrons) expect(book.balance(patron).balanceMinor).toBe(model.get(patron) ?? 0);
        scratch.close();
      }),
      { numRuns: 15 },
    );
  });
});
