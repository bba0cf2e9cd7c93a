import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Money a payment took that went to no fee: staff must be able to pay it back.
 * On the default desk (the ccTalk bus over TCP, the ILS simulator over SIP2):
 * a fee paid meanwhile at another desk is refused by the ILS, and the coins
 * for it are owed back; coins the acceptor took while its line was down, at
 * the moment the patron finished, are the payment's when the line is back,
 * owed back too, never credited to nobody.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'coins-1', 'online', 15_000);
  await waitForDevice(api, 'notes-1', 'online', 15_000);
  await waitForDevice(api, 'ils', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

const cash = () => testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;

/** The API at `/api/v1`, read loosely: the tests say which fields they expect. */
const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

describe('money a payment owes back', () => {
  it('owes back what was paid for a fee paid meanwhile at another desk, and staff pay it out', async () => {
    const open = {
      patron: '21000003',
      pin: '3333',
      purpose: { kind: 'fees', fees: ['F-1002'] },
      amountDueMinor: 500,
      requestId: randomUUID(),
    };
    const opened = await call('POST', '/payments', open);
    expect(opened.status).toBe(201);
    const id = opened.json.id as string;
    // Sent again, the same payment; the same id with another amount is refused, naming it.
    expect((await call('POST', '/payments', open)).json.id).toBe(id);
    const clash = await call('POST', '/payments', { ...open, amountDueMinor: 400 });
    expect(clash.status).toBe(409);
    expect(clash.json).toMatchObject({ code: 'request_id_conflict' });
    expect(clash.json.detail).toMatch(/\(another amountDueMinor\)/);
    expect(clash.json.detail).not.toContain('21000003');
    // Staff take the fee at the desk while the patron is at the kiosk.
    const elsewhere = await call('POST', '/fees/payments', {
      patron: '21000003',
      amount: '5.00',
      feeId: 'F-1002',
      paymentType: 'cash',
    });
    expect(elsewhere.json).toMatchObject({ accepted: true });
    for (const coin of [200, 200, 100]) expect(cash().insertCoin(coin)).toMatchObject({ accepted: true });
    const ended = await until(async () => {
      const payment = (await call('GET', `/payments/${id}`)).json;
      return payment.state === 'completed' ? payment : undefined;
    }, 15_000);
    expect(ended.lines).toEqual([expect.objectContaining({ feeId: 'F-1002', state: 'refused' })]);
    expect(ended.overpayment).toMatchObject({ owedToPatronMinor: 500, paidOutMinor: 0 });
    const receipt = (await call('GET', `/payments/${id}/receipt`)).json;
    expect(receipt.data.owedToPatron).toBe('5.00 EUR');
    // Staff find it without the receipt: the desk lists what it owes.
    const owed = (await call('GET', '/payments/owed')).json.payments as Array<{ id: string }>;
    expect(owed.map((payment) => payment.id)).toEqual([id]);

    // 'Paid out' pressed again after a lost answer: recorded once; the same id for another amount
    // (a client reusing ids) is refused, naming the amount, and records nothing.
    const payout = { amountMinor: 200, requestId: randomUUID() };
    const first = await call('POST', `/payments/${id}/payouts`, payout);
    expect(first.status).toBe(201);
    expect((await call('POST', `/payments/${id}/payouts`, payout)).json.overpayment).toMatchObject({
      paidOutMinor: 200,
    });
    const reused = await call('POST', `/payments/${id}/payouts`, { ...payout, amountMinor: 300 });
    expect(reused.status).toBe(409);
    expect(reused.json).toMatchObject({ code: 'request_id_conflict' });
    expect(reused.json.detail).toMatch(/\(another amountMinor\)/);
    expect((await call('GET', `/payments/${id}`)).json.overpayment).toMatchObject({ paidOutMinor: 200 });
    // More than is still owed is refused in money, as the receipt says it, and records nothing.
    const tooMuch = await call('POST', `/payments/${id}/payouts`, {
      amountMinor: 500,
      requestId: randomUUID(),
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json).toMatchObject({ code: 'payout_invalid' });
    expect(tooMuch.json.detail).toBe('the patron is owed 3.00 EUR on this payment');
    expect((await call('GET', `/payments/${id}`)).json.overpayment).toMatchObject({ paidOutMinor: 200 });
    const paidOut = await call('POST', `/payments/${id}/payouts`, {
      amountMinor: 300,
      requestId: randomUUID(),
    });
    expect(paidOut.status).toBe(201);
    expect(paidOut.json.overpayment).toMatchObject({ owedToPatronMinor: 500, paidOutMinor: 500 });
    expect((await call('GET', '/payments/owed')).json.payments).toEqual([]);
  });

  it('credits to the payment the coins taken while the acceptor was out of reach as it ended, owed back', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000006',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
      amountDueMinor: 125,
    });
    expect(opened.status).toBe(201);
    const id = opened.json.id as string;
    expect(cash().insertCoin(100)).toMatchObject({ accepted: true });
    await until(
      async () => (await call('GET', `/payments/${id}`)).json.paidMinor === 100 || undefined,
      15_000,
    );

    // The line to the acceptors goes (a loose cable): they still take coins on their own.
    cash().setFaults({ dropAnswers: 1000 });
    expect(cash().insertCoin(20)).toMatchObject({ accepted: true });
    const finished = await call('POST', `/payments/${id}/finish`);
    expect(finished.json.payment).toMatchObject({ state: 'completed', paidMinor: 100 });
    expect(finished.json.payment.lines).toEqual([
      expect.objectContaining({ feeId: 'F-1003', paidMinor: 100, state: 'posted' }),
    ]);

    cash().setFaults({ dropAnswers: 0 });
    const later = await until(async () => {
      const payment = (await call('GET', `/payments/${id}`)).json;
      return payment.paidMinor === 120 ? payment : undefined;
    }, 30_000);
    expect(later.credits.map((c: { valueMinor: number }) => c.valueMinor)).toEqual([100, 20]);
    expect(later.overpayment).toMatchObject({ owedToPatronMinor: 20 });
    // What the fee still owes is what the ILS was sent, not the coin it never got.
    expect(later.remainingMinor).toBe(25);
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    expect(ils.state.patron('21000006')!.fees.map((fee) => fee.amountCents)).toEqual([25]);

    // The cash box has no coin without a payment; the acceptor is let go and takes the next payment.
    const box = (await call('GET', '/cash-devices/coins-1/cash-box')).json;
    expect(box.unheld).toEqual({ count: 0, valueMinor: 0 });
    for (const device of ['coins-1', 'notes-1'])
      await until(
        async () => (await call('GET', `/cash-devices/${device}`)).json.holder === null || undefined,
        15_000,
      );
    const next = await call('POST', '/payments', {
      patron: '21000006',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
      amountDueMinor: 25,
    });
    expect(next.status).toBe(201);
    expect(next.json.devices).toEqual(['coins-1', 'notes-1']);
    // Read after the payment was settled: listed as owing, by the credits the journal holds for it.
    const owed = (await call('GET', '/payments/owed')).json.payments as Array<{
      id: string;
      overpayment: unknown;
    }>;
    expect(owed).toEqual([
      expect.objectContaining({ id, overpayment: expect.objectContaining({ owedToPatronMinor: 20 }) }),
    ]);
    expect((await call('POST', `/payments/${id}/payouts`, { amountMinor: 20 })).status).toBe(201);
    expect((await call('GET', '/payments/owed')).json.payments).toEqual([]);
    await call('DELETE', `/payments/${next.json.id}`);
  });
});
