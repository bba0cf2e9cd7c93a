/**
 * Kiosk fee payments that leave staff something to do: Björn (21000003, PIN 3333) pays his €5 fee
 * F-1002 in coins at the simulated desk (the ccTalk acceptor simulator) while its ILS simulator
 * either asks for the SIP2 Fee Paid again and again (unknown whether the library system has it: to
 * check) or has the fee paid meanwhile at the desk (refused: owed back).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { type ApiAnswer, callApi } from './api-call.js';
import { type TestDesk, waitForDevice } from './desk.js';
import { until } from './until.js';

/** `call(token, method, path, body)` on the desk's /api/v1 (read when called), as the holder of `token`. */
export function tokenCaller(api: () => string) {
  return (token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
    callApi(`${api()}/api/v1`, method, path, body, { token });
}

/** The coin acceptor and the ILS online, as `token` reads them (none: a desk without tokens). */
export async function coinsAndIlsOnline(api: string, token?: string): Promise<void> {
  for (const device of ['coins-1', 'ils']) await waitForDevice(api, device, 'online', 15_000, token);
}

/** Opens the payment with `kioskToken`, pays it in coins with the Fee Paid never taken: the payment's id, and the payment ended. */
export async function failedFeePayment(
  testDesk: TestDesk,
  kioskToken: string,
): Promise<{ id: string; ended: ApiAnswer['json'] }> {
  const call = tokenCaller(() => testDesk.api);
  const opened = await call(kioskToken, 'POST', '/payments', {
    patron: '21000003',
    pin: '3333',
    purpose: { kind: 'fees', fees: ['F-1002'] },
    amountDueMinor: 500,
  });
  expect(opened.status).toBe(201);
  const id = opened.json.id as string;
  const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  ils.setFaults({ resendRequests: { type: 'feePaid', times: 50 } });
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  for (const coin of [200, 200, 100]) expect(cash.insertCoin(coin)).toMatchObject({ accepted: true });
  const ended = await until(async () => {
    const payment = (await call(kioskToken, 'GET', `/payments/${id}`)).json;
    return payment.state === 'completed' ? payment : undefined;
  }, 30_000);
  ils.setFaults({});
  return { id, ended };
}

/**
 * Opens the payment with `kioskToken`; the fee is then paid at the desk with `staffToken` (Fee Paid
 * accepted), and in coins at the kiosk: the payment's id once it has ended, €5 owed back. No
 * tokens: a desk without tokens.
 */
export async function owedFeePayment(
  testDesk: TestDesk,
  tokens: { kiosk?: string; staff?: string } = {},
): Promise<string> {
  const as = (token: string | undefined) => (token === undefined ? {} : { token });
  const api = `${testDesk.api}/api/v1`;
  const opened = await callApi(
    api,
    'POST',
    '/payments',
    {
      patron: '21000003',
      pin: '3333',
      purpose: { kind: 'fees', fees: ['F-1002'] },
      amountDueMinor: 500,
      requestId: randomUUID(),
    },
    as(tokens.kiosk),
  );
  expect(opened.status).toBe(201);
  const id = opened.json.id as string;
  const elsewhere = await callApi(
    api,
    'POST',
    '/fees/payments',
    { patron: '21000003', amount: '5.00', feeId: 'F-1002', paymentType: 'cash' },
    as(tokens.staff),
  );
  expect(elsewhere.json).toMatchObject({ accepted: true });
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  for (const coin of [200, 200, 100]) expect(cash.insertCoin(coin)).toMatchObject({ accepted: true });
  await until(
    async () =>
      (await callApi(api, 'GET', `/payments/${id}`, undefined, as(tokens.kiosk))).json.state === 'completed'
        ? true
        : undefined,
    15_000,
  );
  return id;
}
