import { describe, expect, it } from 'vitest';
import { OFFLINE_FEE_MESSAGE } from '../../../src/gateway/circulation/index.js';
import { useCirculationRig } from './simulator-rig.js';

/**
 * Fee payments (37) through the circulation service against the ILS simulator
 * over TCP: an answer lost after the ILS took the payment is found in the fee
 * list and not posted again; one lost before it acted is sent once more; an ILS
 * that cannot be reached gets the payment journaled with its transaction id.
 */
const BJORN = '21000003'; // F-1001 7.50, F-1002 5.00
const rig = useCirculationRig();

async function setUp(options: { requestTimeoutMs?: number } = {}) {
  const started = await rig(options);
  return { ...started, owedOn: (fee: string) => started.owedOn(BJORN, fee) };
}

const pay = (feeId: string, amount: string, transactionId: string) => ({
  patron: BJORN,
  amount,
  feeId,
  feeType: 'overdue' as const,
  paymentType: 'cash' as const,
  transactionId,
});

describe('fee payments that are never posted twice', () => {
  it('pays a fee with its transaction id, in the currency the patron’s account says', async () => {
    const { circulation, owedOn } = await setUp();
    const paid = await circulation.payFee(pay('F-1002', '5.00', 'CR-1'));
    expect(paid).toMatchObject({ accepted: true, transactionId: 'CR-1' });
    expect(paid.verifiedAfterLostAnswer).toBeUndefined();
    expect(owedOn('F-1002')).toBe(0);
  });

  it('an answer lost after the ILS took the payment: found in the fee list, not sent again', async () => {
    const { circulation, simulator, owedOn } = await setUp();
    simulator.setFaults({ loseAnswers: { type: 'feePaid', times: 1 } });
    const paid = await circulation.payFee(pay('F-1001', '2.50', 'CR-2'));
    expect(paid).toMatchObject({ accepted: true, transactionId: 'CR-2', verifiedAfterLostAnswer: true });
    expect(owedOn('F-1001')).toBe(500);
  });

  it('an answer the ILS took the payment with but that stays unreadable (97): found in the fee list, not sent again', async () => {
    const { circulation, journal, simulator, owedOn } = await setUp();
    simulator.setFaults({ garbleAnswers: { type: 'feePaid', times: 1 } });
    const paid = await circulation.payFee(pay('F-1001', '2.50', 'CR-6'));
    expect(paid).toMatchObject({ accepted: true, transactionId: 'CR-6', verifiedAfterLostAnswer: true });
    expect(owedOn('F-1001')).toBe(500);
    expect(journal.all()).toEqual([]);
  });

  it('an answer lost before the ILS acted: the fee is unchanged, so it is sent once more', async () => {
    const { circulation, simulator, owedOn } = await setUp({ requestTimeoutMs: 300 });
    simulator.setFaults({ ignoreRequests: { type: 'feePaid', times: 1 } });
    const paid = await circulation.payFee(pay('F-1001', '7.50', 'CR-3'));
    expect(paid).toMatchObject({ accepted: true, transactionId: 'CR-3' });
    expect(paid.verifiedAfterLostAnswer).toBeUndefined();
    expect(owedOn('F-1001')).toBe(0);
  });

  it('an ILS that cannot be reached: the payment is journaled, and the patron is told', async () => {
    const { circulation, journal, simulator, owedOn } = await setUp({ requestTimeoutMs: 300 });
    simulator.setFaults({ hang: true });
    const paid = await circulation.payFee({ ...pay('F-1002', '5.00', 'CR-4'), currency: 'EUR' });
    expect(paid).toMatchObject({
      accepted: true,
      transactionId: 'CR-4',
      screenMessages: [OFFLINE_FEE_MESSAGE],
    });
    expect(paid.offline?.transaction.sequence).toBe(1);
    expect(journal.all()).toMatchObject([
      {
        kind: 'feePaid',
        patron: BJORN,
        state: 'pending',
        fee: { id: 'F-1002', amountMinor: 500, currency: 'EUR', transactionId: 'CR-4', type: 'overdue' },
      },
    ]);
    // Nothing reached the ILS: what the fee owed is read at replay, not taken from before.
    expect(journal.all()[0]?.fee?.owedBeforeMinor).toBeUndefined();
    expect(owedOn('F-1002')).toBe(500);
  });

  it('a card payment journaled while the ILS cannot be reached keeps how it was paid, for the replay', async () => {
    const { circulation, journal, simulator } = await setUp({ requestTimeoutMs: 300 });
    simulator.setFaults({ hang: true });
    const paid = await circulation.payFee({
      ...pay('F-1002', '5.00', 'CR-5'),
      paymentType: 'creditCard',
      currency: 'EUR',
    });
    expect(paid).toMatchObject({ accepted: true, screenMessages: [OFFLINE_FEE_MESSAGE] });
    // SIP2's payment type 02, credit card: what fee-replay sends the ILS when it is back.
    expect(journal.all()).toMatchObject([
      { kind: 'feePaid', fee: { transactionId: 'CR-5', paymentType: '02' } },
    ]);
  });
});
