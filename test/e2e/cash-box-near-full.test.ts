/**
 * A cash box filling up: with the coin acceptor's cashBoxCapacity configured, coins going in over
 * ccTalk (the cash simulator on its TCP line) move the box's fill in the device's health record and
 * on /metrics (by device id alone), near full from 90 %; staff recording the box emptied (a staff
 * token; a kiosk's may not) starts the count again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';
import { until as poll } from '../helpers/until.js';

const STAFF = 'staff-token-0123456789abcdef';
const KIOSK = 'kiosk-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';
const CAPACITY = 4;

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withTokens(
      {
        ...config,
        devices: config.devices.map((device) => {
          if (device.kind !== 'cash-device') return device;
          // The note validator without one (the built-in desk gives it 600): no fill made up for it.
          const { cashBoxCapacity: _capacity, ...withoutCapacity } = device;
          return device.id === 'coins-1' ? { ...device, cashBoxCapacity: CAPACITY } : withoutCapacity;
        }),
      },
      [
        { name: 'desk staff', token: STAFF, scopes: ['staff'] },
        { name: 'kiosk 1', token: KIOSK, scopes: ['kiosk'] },
        { name: 'prometheus', token: MONITOR, scopes: ['monitor'] },
      ],
    ),
  );
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000, STAFF);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const call = (token: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body, { token });

const scrape = async () =>
  (await fetch(`${testDesk.api}/metrics`, { headers: { authorization: `Bearer ${MONITOR}` } })).text();
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};
const cashBox = async () => (await call(STAFF, 'GET', '/devices/coins-1')).json.detail.cashBox;

const until = <T>(read: () => Promise<T | undefined>): Promise<T> => poll(read, 10_000, 'timed out', 25);

/** A top-up at the kiosk paid with `coins` coins of 1 euro, each credited over ccTalk, then finished. */
async function coinsIn(coins: number): Promise<void> {
  const opened = await call(KIOSK, 'POST', '/payments', {
    patron: '21000001',
    pin: '1234',
    purpose: { kind: 'print-topup', amountMinor: 1000 },
    devices: ['coins-1'],
    requestId: randomUUID(),
  });
  expect(opened.status).toBe(201);
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  for (let coin = 1; coin <= coins; coin++) {
    await until(async () =>
      (await call(KIOSK, 'GET', `/payments/${opened.json.id}`)).json.accepting.includes(100)
        ? true
        : undefined,
    );
    expect(cash.insertCoin(100)).toMatchObject({ accepted: true });
    await until(async () =>
      (await call(KIOSK, 'GET', `/payments/${opened.json.id}`)).json.paidMinor === coin * 100
        ? true
        : undefined,
    );
  }
  expect((await call(KIOSK, 'POST', `/payments/${opened.json.id}/finish`)).status).toBe(200);
}

describe('a coin acceptor’s cash box with a capacity', () => {
  it('says how full it is, in its health record and on /metrics, and near full from 90 %', async () => {
    const empty = await cashBox();
    expect(empty).toMatchObject({ count: 0, capacity: CAPACITY, fillRatio: 0, nearFull: false });
    const before = await scrape();
    expect(sample(before, 'carrel_cash_box_capacity_items{device="coins-1"}')).toBe(CAPACITY);
    expect(sample(before, 'carrel_cash_box_fill_ratio{device="coins-1"}')).toBe(0);
    // The note validator has no capacity configured: no fill is made up for it.
    expect(sample(before, 'carrel_cash_box_fill_ratio{device="notes-1"}')).toBeUndefined();

    await coinsIn(3);
    expect(await cashBox()).toMatchObject({ count: 3, fillRatio: 0.75, nearFull: false });
    await coinsIn(1);
    expect(await cashBox()).toMatchObject({ count: 4, fillRatio: 1, nearFull: true });
    const full = await scrape();
    expect(sample(full, 'carrel_cash_box_items{device="coins-1"}')).toBe(4);
    expect(sample(full, 'carrel_cash_box_fill_ratio{device="coins-1"}')).toBe(1);
    // By device id alone: the patron who paid is no label.
    expect(full).not.toContain('21000001');
  }, 40_000);

  it('starts counting again once staff record the box emptied; a kiosk may not', async () => {
    const box = (await call(STAFF, 'GET', '/cash-devices/coins-1/cash-box')).json;
    const refused = await call(KIOSK, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: box.expectedMinor,
    });
    expect(refused.status).toBe(403);
    expect(await cashBox()).toMatchObject({ count: 4, nearFull: true });
    const emptied = await call(STAFF, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: box.expectedMinor,
      expectedMinor: box.expectedMinor,
      lastEmptyingId: box.lastEmptied?.id ?? null,
    });
    expect(emptied.status).toBe(201);
    expect(await cashBox()).toMatchObject({ count: 0, fillRatio: 0, nearFull: false });
    expect(sample(await scrape(), 'carrel_cash_box_fill_ratio{device="coins-1"}')).toBe(0);
  });
});
