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

/**
 * POST /payments as the kiosk holding `kioskToken` (none: a desk without tokens): Björn's fee F-1002,
 * €5 due, with `requestId` when given; the payment's id (201 asserted).
 */
export async function openFeePayment(
  testDesk: TestDesk,
  kioskToken?: string,
  requestId?: string,
): Promise<string> {
  const opened = await callApi(
    `${testDesk.api}/api/v1`,
    'POST',
    '/payments',
    {
      patron: '21000003',
      pin: '3333',
      purpose: { kind: 'fees', fees: ['F-1002'] },
      amountDueMinor: 500,
      ...(requestId === undefined ? {} : { requestId }),
    },
    kioskToken === undefined ? {} : { token: kioskToken },
  );
  expect(opened.status).toBe(201);
  return opened.json.id as string;
}

/** €2 + €2 + €1 into the coin acceptor simulator (each taken), then the payment once it has ended. */
export async function payInCoins(
  testDesk: TestDesk,
  id: string,
  kioskToken: string | undefined,
  timeoutMs: number,
): Promise<ApiAnswer['json']> {
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  for (const coin of [200, 200, 100]) expect(cash.insertCoin(coin)).toMatchObject({ accepted: true });
  return until(async () => {
    const payment = (
      await callApi(
        `${testDesk.api}/api/v1`,
        'GET',
        `/payments/${id}`,
        undefined,
        kioskToken === undefined ? {} : { token: kioskToken },
      )
    ).json;
    return payment.state === 'completed' ? payment : undefined;
  }, timeoutMs);
}

/** Opens the payment with `kioskToken`, pays it in coins with the Fee Paid never taken: the payment's id, and the payment ended. */
export async function failedFeePayment(
  testDesk: TestDesk,
  kioskToken: string,
): Promise<{ id: string; ended: ApiAnswer['json'] }> {
  const id = await openFeePayment(testDesk, kioskToken);
  const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  ils.setFaults({ resendRequests: { type: 'feePaid', times: 50 } });
  const ended = await payInCoins(testDesk, id, kioskToken, 30_000);
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
  const id = await openFeePayment(testDesk, tokens.kiosk, randomUUID());
  const elsewhere = await callApi(
    `${testDesk.api}/api/v1`,
    'POST',
    '/fees/payments',
    { patron: '21000003', amount: '5.00', feeId: 'F-1002', paymentType: 'cash' },
    tokens.staff === undefined ? {} : { token: tokens.staff },
  );
  expect(elsewhere.json).toMatchObject({ accepted: true });
  await payInCoins(testDesk, id, tokens.kiosk, 15_000);
  return id;
}
