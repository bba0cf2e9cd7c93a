/**
 * What a request body over HTTP may hold. A field the route does not take — a kiosk's misspelt
 * `requestID` — is refused 400, naming the field and the one it may have meant, nothing done. The
 * field used to be dropped unread: a fee payment sent again after a lost answer was paid twice,
 * its request id never seen. As over MQTT (mqtt-request-shape).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { IlsSimulator } from '../../simulators/ils/index.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let ils: IlsSimulator;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  await waitForDevice(testDesk.api, 'ils', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);
const owedCents = (patron: string) =>
  ils.state.patron(patron)!.fees.reduce((sum, fee) => sum + fee.amountCents, 0);

describe('an HTTP request body holding a field the route does not take', () => {
  it('refuses a fee payment with a misspelt requestId, sent twice, and takes nothing', async () => {
    const before = owedCents('21000003');
    const body = { patron: '21000003', pin: '3333', amount: '1.00', requestID: randomUUID() };
    for (const answer of [
      await call('POST', '/fees/payments', body),
      await call('POST', '/fees/payments', body),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        code: 'invalid_request',
        errors: [
          {
            path: 'body.requestID',
            message:
              'Unrecognized key: "requestID": not a field of this request (did you mean "requestId"?); nothing was done',
          },
        ],
      });
    }
    expect(owedCents('21000003')).toBe(before);
  });

  it('names a key that is not a field name without repeating it (a PIN sent as a key)', async () => {
    const answer = await call('POST', '/checkins', { item: '31000001', '7319-secret': true });
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([
      {
        path: 'body.*',
        message: 'Unrecognized key, not shown: not a field of this request; nothing was done',
      },
    ]);
    expect(JSON.stringify(answer.json)).not.toContain('7319-secret');
  });

  it('still takes a body naming only what the route takes', async () => {
    const paid = await call('POST', '/fees/payments', {
      patron: '21000003',
      pin: '3333',
      amount: '0.50',
      requestId: randomUUID(),
    });
    expect(paid.status, JSON.stringify(paid.json)).toBe(200);
  });
});

describe('an HTTP request body nested thousands of levels deep', () => {
  /** `{"line": {"line": … 1}}`, `depth` objects deep, written out as text (no stack used to build it). */
  const nested = (depth: number) => `${'{"line":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const print = async (depth: number, requestId?: string) => {
    const response = await fetch(`${testDesk.api}/api/v1/printers/receipt-1/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"template":"checkout","data":${nested(depth)}${requestId ? `,"requestId":"${requestId}"` : ''}}`,
    });
    return { status: response.status, json: (await response.json()) as { errors?: unknown } };
  };

  it('is refused in words, not answered 500 by a stack overflow, and nothing is printed', async () => {
    const printer = testDesk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    for (const requestId of [randomUUID(), undefined]) {
      const answer = await print(6000, requestId);
      expect(answer.status, JSON.stringify(answer.json)).toBe(400);
      expect(answer.json.errors).toEqual([
        {
          path: 'body',
          message:
            'nested too deep: at most 64 levels of objects and arrays within each other; nothing was done',
        },
      ]);
    }
    expect((await print(8, randomUUID())).status).toBe(202);
    await expect.poll(() => printer.receipts().length, { timeout: 5000 }).toBe(before + 1);
  });
});
