import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Cash into print credit on the default desk: a patron tops up a print account at the kiosk with
 * coins, and the money lands in the print ledger the release station charges from — once, with
 * the payment as its source; a payment that pays more than the fees puts the excess there when the
 * library says so.
 */
describe('topping up print credit with cash', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startTestDesk((config) => ({
      ...config,
      payments: { ...config.payments, overpayment: 'print-account' },
    }));
    for (const id of ['coins-1', 'notes-1', 'ils']) await waitForDevice(desk.api, id, 'online', 15_000);
  }, 30_000);
  afterAll(async () => {
    await desk?.stop();
  });

  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    callApi(`${desk.api}/api/v1`, method, path, body);
  const cash = () => desk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  const balance = async (patron: string) =>
    (await call('POST', '/print/accounts/find', { patron })).json.statement as {
      balanceMinor: number;
      entries: Array<{ kind: string; amountMinor: number; source: string | null }>;
    };

  it('credits the patron’s print account with what was inserted, once', async () => {
    const before = await balance('21000001');
    const opened = await call('POST', '/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 300 },
    });
    expect(opened.status).toBe(201);
    const id = opened.json.id as string;
    expect(cash().insertCoin(200)).toMatchObject({ accepted: true });
    await until(async () =>
      (await call('GET', `/payments/${id}`)).json.remainingMinor === 100 ? true : undefined,
    );
    expect(cash().insertCoin(100)).toMatchObject({ accepted: true });
    const done = await until(async () => {
      const payment = (await call('GET', `/payments/${id}`)).json;
      return payment.state === 'completed' ? payment : undefined;
    });
    expect(done.paidMinor).toBe(300);
    const after = await until(async () => {
      const statement = await balance('21000001');
      return statement.balanceMinor === before.balanceMinor + 300 ? statement : undefined;
    });
    const deposits = after.entries.filter((entry) => entry.kind === 'deposit');
    expect(deposits.length).toBe(before.entries.filter((entry) => entry.kind === 'deposit').length + 1);
    expect(deposits.some((entry) => entry.amountMinor === 300)).toBe(true);
    // Asked again later, nothing more is deposited.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await balance('21000001')).balanceMinor).toBe(before.balanceMinor + 300);
  });

  it('puts what was paid over a fee on the print account when the library says so', async () => {
    const before = await balance('21000006');
    const opened = await call('POST', '/payments', {
      patron: '21000006',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
      amountDueMinor: 125,
    });
    expect(opened.status).toBe(201);
    // With overpayment to the print account, a 2 euro coin fits a 1.25 fee.
    expect(opened.json.accepting).toContain(200);
    const id = opened.json.id as string;
    expect(cash().insertCoin(200)).toMatchObject({ accepted: true });
    const done = await until(async () => {
      const payment = (await call('GET', `/payments/${id}`)).json;
      return payment.state === 'completed' ? payment : undefined;
    });
    expect(done).toMatchObject({ paidMinor: 200, overpaidMinor: 75 });
    const after = await until(async () => {
      const statement = await balance('21000006');
      return statement.balanceMinor === before.balanceMinor + 75 ? statement : undefined;
    });
    expect(
      after.entries.filter((entry) => entry.kind === 'deposit' && entry.amountMinor === 75),
    ).toHaveLength(1);
  });
});
