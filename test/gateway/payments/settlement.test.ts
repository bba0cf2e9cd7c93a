import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { CirculationRefusal } from '../../../src/gateway/circulation/reasons.js';
import type { CirculationService, FeePaymentRequest } from '../../../src/gateway/contracts/circulation.js';
import type {
  PrintAccountDeposit,
  PrintAccountDeposits,
} from '../../../src/gateway/contracts/print-accounts.js';
import type { OfflineTransactionInput } from '../../../src/gateway/offline/transaction.js';
import { paymentsSchema } from '../../../src/gateway/payments/config.js';
import { settle } from '../../../src/gateway/payments/settlement.js';
import { type NewLine, PaymentStore } from '../../../src/gateway/payments/store.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';

/**
 * Settling a payment on a real (in-memory) SQLite journal: the fees in order,
 * the last in part; money beyond what is due onto the print account (once, by
 * its request id) or owed back, per config; a top-up deposited; a 37 that was
 * going out when the process died handed to the offline journal with what the
 * fee owed before, never sent again directly.
 */
let db: Database;
let store: PaymentStore;
let posted: FeePaymentRequest[];
let deposits: Map<string, PrintAccountDeposit>;
let journaled: OfflineTransactionInput[];
/** Fee ids the ILS refuses a payment for (paid meanwhile at another desk, say). */
let refusing: Set<string>;

const circulation = {
  payFee: async (request: FeePaymentRequest) => {
    if (request.feeId !== undefined && refusing.has(request.feeId))
      throw new CirculationRefusal('refused', ['Unknown fee'], 'feePaid');
    posted.push(request);
    return { accepted: true, transactionId: request.transactionId, screenMessages: [], printLines: [] };
  },
} as unknown as CirculationService;

const printAccounts: PrintAccountDeposits = {
  deposit(request) {
    const repeated = deposits.has(request.requestId);
    if (!repeated) deposits.set(request.requestId, request);
    const balanceMinor = [...deposits.values()].reduce((sum, d) => sum + d.amountMinor, 0);
    return { entryId: request.requestId, balanceMinor, currency: request.currency, repeated };
  },
};

const fees: NewLine[] = [
  {
    kind: 'fee',
    feeId: 'F-1',
    feeType: 'overdue',
    dueMinor: 750,
    owedBeforeMinor: 750,
    transactionId: 'p-1',
  },
  {
    kind: 'fee',
    feeId: 'F-2',
    feeType: 'replacement',
    dueMinor: 500,
    owedBeforeMinor: 500,
    transactionId: 'p-2',
  },
];

function open(id: string, lines: NewLine[] = fees) {
  const row = {
    id,
    terminal: 'kiosk-1',
    patron: '21000003',
    patron_name: 'Björn Müller',
    purpose: lines[0]!.kind === 'fee' ? ('fees' as const) : ('print-topup' as const),
    currency: 'EUR',
    amount_due_minor: lines.reduce((sum, line) => sum + line.dueMinor, 0),
    state: 'settling' as const,
    devices: '[]',
    started_at: 1_000,
  };
  store.create(row, lines);
  return store.get(id)!;
}

function deps(overpayment: 'refuse' | 'print-account', withAccounts = true) {
  return {
    circulation,
    store,
    offline: {
      accept: (transaction: OfflineTransactionInput) => {
        journaled.push(transaction);
        return { id: `off-${journaled.length}`, sequence: journaled.length };
      },
    },
    printAccounts: withAccounts ? printAccounts : undefined,
    config: paymentsSchema.parse({ overpayment }),
    logger: silentLogger(),
    now: () => 2_000,
  };
}

beforeEach(() => {
  db = openDatabase(':memory:');
  store = new PaymentStore(db);
  posted = [];
  deposits = new Map();
  journaled = [];
  refusing = new Set();
});
afterEach(() => db.close());

describe('settling a payment', () => {
  it('pays the fees in order, the last in part, each as its own 37 with its transaction id', async () => {
    const row = open('a');
    await settle(row, 1000, '3333', deps('refuse'));
    expect(posted.map((p) => [p.feeId, p.amount, p.transactionId, p.feeType])).toEqual([
      ['F-1', '7.50', 'p-1', 'overdue'],
      ['F-2', '2.50', 'p-2', 'replacement'],
    ]);
    expect(store.lines('a').map((l) => [l.state, l.paid_minor])).toEqual([
      ['posted', 750],
      ['posted', 250],
    ]);
  });

  it('refuses the excess by config: it is owed back to the patron, for staff', async () => {
    await settle(open('b'), 1400, undefined, deps('refuse'));
    expect(store.get('b')).toMatchObject({ owed_to_patron_minor: 150, to_print_minor: 0 });
    expect(deposits.size).toBe(0);
  });

  it('puts the excess on the print account by config, once even when settled again', async () => {
    const row = open('c');
    await settle(row, 1400, undefined, deps('print-account'));
    await settle(row, 1400, undefined, deps('print-account'));
    expect([...deposits.values()]).toEqual([
      expect.objectContaining({ requestId: 'c:overpayment', amountMinor: 150, source: 'payment-device' }),
    ]);
    expect(store.get('c')).toMatchObject({ to_print_minor: 150, owed_to_patron_minor: 0 });
    expect(posted).toHaveLength(2);
  });

  it('owes the excess back when print accounts are not wired, whatever the config', async () => {
    await settle(open('d'), 1300, undefined, deps('print-account', false));
    expect(store.get('d')).toMatchObject({ owed_to_patron_minor: 50, to_print_minor: 0 });
  });

  it('deposits a top-up on the print account by its request id', async () => {
    const row = open('e', [{ kind: 'print-topup', dueMinor: 500, transactionId: 'e:topup' }]);
    await settle(row, 500, undefined, deps('refuse'));
    expect(deposits.get('e:topup')).toMatchObject({ amountMinor: 500, patron: '21000003' });
    expect(store.lines('e')[0]).toMatchObject({ state: 'posted', paid_minor: 500 });
  });

  it('hands a 37 cut short by a crash to the offline journal with what the fee owed before, and sends it no more', async () => {
    const row = open('f');
    store.setLine('f', 0, { paidMinor: 750, state: 'posting' }, 1_500);
    await settle(row, 750, undefined, deps('refuse'));
    expect(posted).toEqual([]);
    expect(journaled).toEqual([
      expect.objectContaining({
        kind: 'feePaid',
        patron: '21000003',
        fee: expect.objectContaining({
          id: 'F-1',
          amountMinor: 750,
          owedBeforeMinor: 750,
          transactionId: 'p-1',
        }),
      }),
    ]);
    expect(store.lines('f').map((l) => l.state)).toEqual(['journaled', 'unpaid']);
  });

  it('owes back the money for a fee the ILS refused (paid meanwhile elsewhere), so staff can pay it out', async () => {
    refusing.add('F-2');
    const row = open('g');
    await settle(row, 1250, undefined, deps('refuse'));
    expect(store.lines('g').map((l) => [l.state, l.paid_minor])).toEqual([
      ['posted', 750],
      ['refused', 500],
    ]);
    expect(store.get('g')).toMatchObject({ owed_to_patron_minor: 500, to_print_minor: 0 });
    // Settled again after a restart: still owed once, not twice.
    await settle(row, 1250, undefined, deps('refuse'));
    expect(store.get('g')).toMatchObject({ owed_to_patron_minor: 500 });
  });

  it('owes back a refused fee beside an excess put on the print account', async () => {
    refusing.add('F-1');
    const row = open('h');
    await settle(row, 1400, undefined, deps('print-account'));
    await settle(row, 1400, undefined, deps('print-account'));
    expect(store.get('h')).toMatchObject({ to_print_minor: 150, owed_to_patron_minor: 750 });
    expect(deposits.get('h:overpayment')).toMatchObject({ amountMinor: 150 });
  });
});
