/**
 * A kiosk following a payment (its events WebSocket) when Carrel stopped mid-payment and started
 * again: the new Carrel takes the payment up — it waits for the coin acceptor, lets it go and
 * settles what was inserted — and a kiosk page that reconnects meanwhile must hear how the payment
 * ended, not that it ended while it was still collecting (its receipt then refused, the patron told
 * 'Please see staff.' after paying). The ILS and the coin acceptor (ccTalk over TCP, behind a proxy
 * that can hold the acceptor's answers) live on across the restart; the database is one SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CashSimulator, startCashSimulator } from '../../simulators/cash/simulator.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';

const PATRON = '21000007';
const FEE = 'RESTART-1';

let dir: string;
let ils: IlsSimulator;
let cash: CashSimulator;
let acceptor: StallingProxy;
let desk: TestDesk | undefined;

/** The simulated desk on the test's ILS and coin acceptor, its database in `dir`. */
function deskConfig(config: CarrelConfig): CarrelConfig {
  const withIls = withIlsAt(config, ils.port);
  return {
    ...withIls,
    storage: { ...withIls.storage, path: join(dir, 'carrel.db') },
    offline: { ...withIls.offline, enabled: false },
    simulators: withIls.simulators.filter((simulator) => simulator.kind !== 'cash'),
    devices: [
      ...withIls.devices.filter((device) => device.kind !== 'cash-device'),
      {
        id: 'coins-1',
        kind: 'cash-device',
        device: 'coin-acceptor',
        protocol: 'cctalk',
        pollIntervalMs: 100,
        transport: { type: 'tcp', host: '127.0.0.1', port: acceptor.port },
      },
    ],
  } as CarrelConfig;
}

async function call(method: 'GET' | 'POST', route: string, body?: unknown) {
  const response = await fetch(`${desk!.api}/api/v1${route}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-payment-watch-'));
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  cash = await startCashSimulator({ billAddress: null });
  acceptor = await StallingProxy.start(cash.port);
});

afterAll(async () => {
  await desk?.stop();
  await acceptor?.close();
  await cash?.close();
  await ils?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a payment followed across a restart of Carrel', () => {
  it('is said to have ended only once the new Carrel has settled it, and its receipt is there', async () => {
    ils.state.patron(PATRON)!.fees.push({
      id: FEE,
      type: 'other',
      amountCents: 125,
      description: 'Late return',
    });
    desk = await startTestDesk(deskConfig);
    await waitForDevice(desk.api, 'coins-1', 'online', 15_000);
    const opened = await call('POST', '/payments', {
      patron: PATRON,
      purpose: { kind: 'fees', fees: [FEE] },
      amountDueMinor: 125,
    });
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    const id: string = opened.json.id;
    expect(cash.insertCoin(100).accepted).toBe(true);
    await expect
      .poll(async () => (await call('GET', `/payments/${id}`)).json.paidMinor, { timeout: 10_000 })
      .toBe(100);

    // Carrel stops with the payment collecting; it starts again while the coin acceptor does not
    // answer yet (it is slow to come back): the payment waits for it to be taken up.
    await desk.stop();
    desk = undefined;
    acceptor.stall();
    desk = await startTestDesk(deskConfig);

    // The kiosk page reconnects to the payment now.
    const updates: Array<{ event: string; data: { state: string; paidMinor: number } }> = [];
    const socket = new WebSocket(`${desk.api.replace('http', 'ws')}/api/v1/payments/${id}/events`);
    socket.on('message', (data) => updates.push(JSON.parse(String(data))));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await expect.poll(() => updates.length).toBeGreaterThan(0);
    expect(updates[0]).toMatchObject({ event: 'payment', data: { state: 'collecting', paidMinor: 100 } });

    acceptor.resume();
    await closed;
    const ended = updates.filter((update) => update.event === 'ended');
    // It said 'ended' at once, with the payment still collecting; its receipt was refused
    // payment_not_ended, and the page told the patron who had paid to see staff.
    expect(ended).toHaveLength(1);
    expect(ended[0]!.data).toMatchObject({ state: 'completed', paidMinor: 100 });
    const receipt = await call('GET', `/payments/${id}/receipt`);
    expect(receipt.status, JSON.stringify(receipt.json)).toBe(200);
    expect(receipt.json.data).toMatchObject({ total: '1.00 EUR', remaining: '0.25 EUR' });
  }, 60_000);
});
