import { afterEach, describe, expect, it } from 'vitest';
import type { IlsSimulator } from '../../../simulators/ils/index.js';
import { OfflineJournal, OfflineReplayer, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { useSampleIls } from '../../helpers/sample-ils.js';

/**
 * Fee payments (37) journaled while the ILS was away, replayed into the ILS
 * simulator over TCP. SIP2 cannot look a payment up: the replay compares the
 * fee with what it owed before a 37 of ours could have reached the ILS, so a
 * payment the ILS already has is never posted twice, and a fee that changed is
 * left to staff.
 */
const BJORN = '21000003'; // fees F-1001 7.50 (overdue) and F-1002 5.00 (replacement), EUR
const AT = Date.UTC(2026, 0, 5, 10, 30);

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});
// After the database's hook, so run before it (hooks run in reverse): the link closes first.
const startIls = useSampleIls();

async function setUp() {
  const { simulator, client } = await startIls();
  db = openDatabase(':memory:');
  // Offline circulation off: a payment is journaled all the same (its money is in a cash box).
  const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: false }) });
  const replayer = new OfflineReplayer({ journal, ils: client });
  return { journal, replayer, library: simulator.state };
}

const owedOn = (library: IlsSimulator['state'], id: string) =>
  library.patron(BJORN)?.fees.find((fee) => fee.id === id)?.amountCents ?? 0;

function payment(fee: { id: string; amountMinor: number; owedBeforeMinor?: number }, transactionId: string) {
  return {
    kind: 'feePaid' as const,
    patron: BJORN,
    terminal: 'kiosk-1',
    at: AT,
    fee: { type: 'overdue' as const, currency: 'EUR', transactionId, ...fee },
  };
}

describe('replaying fee payments into the ILS simulator', () => {
  it('posts a payment the ILS never had, once, with its transaction id, and knows it has it on the next run', async () => {
    const { journal, replayer, library } = await setUp();
    const tx = journal.accept(payment({ id: 'F-1001', amountMinor: 750 }, 'CR-0001-1'));
    expect(await replayer.run()).toMatchObject({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(journal.get(tx.id)).toMatchObject({
      state: 'done',
      reason: 'sent',
      fee: { owedBeforeMinor: 750 },
    });
    expect(owedOn(library, 'F-1001')).toBe(0);
    expect(owedOn(library, 'F-1002')).toBe(500);
  });

  it('a 37 that reached the ILS before the process died is found done, not posted again', async () => {
    const { journal, replayer, library } = await setUp();
    // It owed 5.00 before our 37; the ILS took 2.00 of it; the journal never heard.
    library.payFee({ patron: BJORN, amount: '2.00', feeId: 'F-1002', transactionId: 'CR-0002-1' });
    const tx = journal.accept(payment({ id: 'F-1002', amountMinor: 200, owedBeforeMinor: 500 }, 'CR-0002-1'));
    expect(await replayer.run()).toMatchObject({ replayed: 1, conflicts: 0 });
    expect(journal.get(tx.id)).toMatchObject({ state: 'done', reason: 'already_done' });
    expect(owedOn(library, 'F-1002')).toBe(300);
  });

  it('a fee gone before any 37 of ours, or changed meanwhile, is a conflict for staff, not a payment', async () => {
    const { journal, replayer, library } = await setUp();
    library.payFee({ patron: BJORN, amount: '7.50', feeId: 'F-1001' });
    const gone = journal.accept(payment({ id: 'F-1001', amountMinor: 750 }, 'CR-0003-1'));
    library.payFee({ patron: BJORN, amount: '1.00', feeId: 'F-1002' });
    const changed = journal.accept(
      payment({ id: 'F-1002', amountMinor: 300, owedBeforeMinor: 500 }, 'CR-0004-1'),
    );
    expect(await replayer.run()).toMatchObject({ replayed: 0, conflicts: 2 });
    expect(journal.get(gone.id)).toMatchObject({ state: 'conflict', reason: 'fee_not_outstanding' });
    expect(journal.get(changed.id)).toMatchObject({ state: 'conflict', reason: 'fee_changed' });
    expect(owedOn(library, 'F-1002')).toBe(400);
  });
});
