/**
 * Two payments opened together on one cash device: the one that finds it taken is refused before
 * any payment record is made, and the one that took it keeps it. A payment on two devices holds
 * them one after the other, the second only once the first has been told what to take over ccTalk:
 * here the coin acceptor's line (a TCP proxy in front of the cash simulator) stalls meanwhile, so a
 * kiosk opening a payment on the note validator comes in between, over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';

let testDesk: TestDesk;
let coinLine: StallingProxy;

beforeAll(async () => {
  // The coin acceptor reaches the desk's cash simulator through the proxy, once it has started.
  coinLine = await StallingProxy.start();
  testDesk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((device) =>
      device.id === 'coins-1' && device.kind === 'cash-device'
        ? {
            ...device,
            transport: {
              type: 'tcp' as const,
              host: '127.0.0.1',
              port: coinLine.port,
              connectTimeoutMs: 2000,
            },
          }
        : device,
    ),
  }));
  coinLine.pointAt(testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!.port);
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
  await waitForDevice(testDesk.api, 'notes-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
  await coinLine?.close();
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

/** Every payment record the desk has made, ended ones included. */
function paymentRecords(): Array<{ id: string; state: string }> {
  const db = openDatabase(testDesk.databasePath);
  try {
    return db.prepare('SELECT id, state FROM payments ORDER BY started_at').all() as Array<{
      id: string;
      state: string;
    }>;
  } finally {
    db.close();
  }
}

describe('a payment opened on a device another payment is taking while it opens', () => {
  it('is refused before any record is made, and the payment that took the device keeps it', async () => {
    const before = paymentRecords();
    coinLine.stall();
    let first: Promise<Awaited<ReturnType<typeof call>>>;
    try {
      first = call('POST', '/payments', {
        patron: '21000001',
        pin: '1234',
        purpose: { kind: 'print-topup', amountMinor: 500 },
        devices: ['coins-1', 'notes-1'],
        requestId: randomUUID(),
      });
      // The first payment holds the coin acceptor and is telling it what to take, its line stalled.
      let holder: string | null = null;
      const deadline = performance.now() + 5000;
      while (holder === null) {
        if (performance.now() > deadline) throw new Error('the first payment did not take the coin acceptor');
        holder = (await call('GET', '/cash-devices/coins-1')).json.holder;
        if (holder === null) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const second = await call('POST', '/payments', {
        patron: '21000002',
        pin: '2222',
        purpose: { kind: 'print-topup', amountMinor: 500 },
        devices: ['notes-1'],
        requestId: randomUUID(),
      });
      // It opened, 201, and the first payment was cancelled once it came to the note validator.
      expect(second.status).toBe(409);
      expect(second.json).toMatchObject({
        code: 'cash_device_busy',
        detail: 'cash device "notes-1" is taking money for another payment',
      });
    } finally {
      coinLine.resume();
    }
    const opened = await first;
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ state: 'collecting', devices: ['coins-1', 'notes-1'] });
    expect((await call('GET', '/cash-devices/notes-1')).json.holder).toBe(opened.json.id);
    // One record more: the first payment's; none for the one refused.
    expect(paymentRecords()).toEqual([...before, { id: opened.json.id, state: 'collecting' }]);
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
  }, 30_000);

  it('gives a device to one of two payments opened in one turn, and makes no record for the other', async () => {
    const before = paymentRecords();
    const open = (patron: string, pin: string) =>
      call('POST', '/payments', {
        patron,
        pin,
        purpose: { kind: 'print-topup', amountMinor: 500 },
        devices: ['notes-1'],
        requestId: randomUUID(),
      });
    const answers = await Promise.all([open('21000001', '1234'), open('21000002', '2222')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const winner = answers.find((answer) => answer.status === 201)!.json.id as string;
    expect(answers.find((answer) => answer.status === 409)!.json).toMatchObject({ code: 'cash_device_busy' });
    expect(paymentRecords()).toEqual([...before, { id: winner, state: 'collecting' }]);
    expect((await call('DELETE', `/payments/${winner}`)).status).toBe(200);
  }, 30_000);
});
