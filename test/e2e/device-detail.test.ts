/**
 * A device's health record tells the truth about it now: its detail (the tags on
 * a pad, the ILS link's open connections, a printer's paper, a gate's counts and last
 * alarm, a queue's held jobs, a cash box's fill) follows the device, on the HTTP API and
 * in the retained MQTT state (what the dashboard's WebSocket also carries), not only when
 * its status last changed. One test per family of the default desk, each changing the
 * device through its simulator and never reconnecting it.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { Desk } from '../../src/app/desk.js';
import { cashDevices } from '../../src/gateway/families/cash-device/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let desk: Desk;
let api: string;

beforeAll(async () => {
  // The gate's counter read every 5 s (the shortest allowed; the simulated desk's is 10 s): a
  // walk shows in the counts at the next reading, whenever in the interval the test walks.
  testDesk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((device) =>
      device.kind === 'gate' && device.driver === 'feig-notification'
        ? { ...device, visitors: { ...device.visitors, countIntervalSeconds: 5 } }
        : device,
    ),
  }));
  ({ desk, api } = testDesk);
  await waitForDevice(api, 'pad-1', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

interface DeviceJson {
  status: string;
  reconnects: number;
  // biome-ignore lint/suspicious/noExplicitAny: a family's detail is its own shape
  detail: Record<string, any>;
}

/** The device's retained MQTT state as it is published, newest last. */
async function retainedStates(
  id: string,
): Promise<{ latest(): DeviceJson | undefined; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(desk.urls().mqtt!, { reconnectPeriod: 0 });
  const states: DeviceJson[] = [];
  client.on('message', (_topic, payload) => states.push(JSON.parse(String(payload)) as DeviceJson));
  await client.subscribeAsync(`carrel/library/desk-1/devices/${id}/state`);
  return { latest: () => states.at(-1), close: () => client.endAsync() };
}

async function device(id: string): Promise<DeviceJson> {
  return (await (await fetch(`${api}/api/v1/devices/${id}`)).json()) as DeviceJson;
}

async function tagCount(): Promise<number> {
  return ((await (await fetch(`${api}/api/v1/rfid/pad-1/tags`)).json()) as { tags: unknown[] }).tags.length;
}

describe('device detail', () => {
  it('counts the tags on the pad as they are now, on HTTP and in the retained MQTT state', async () => {
    await expect.poll(tagCount, { timeout: 5000 }).toBe(2);
    expect((await device('pad-1')).detail.tags).toBe(2);

    desk.simulators.handle(rfidPadSimulators, 'pad-sim')!.place({ preset: 'V1' });
    await expect.poll(tagCount, { timeout: 5000 }).toBe(3);
    expect((await device('pad-1')).detail.tags).toBe(3);

    const client = await mqtt.connectAsync(desk.urls().mqtt!, { reconnectPeriod: 0 });
    const retained: DeviceJson[] = [];
    client.on('message', (_topic, payload) => retained.push(JSON.parse(String(payload)) as DeviceJson));
    await client.subscribeAsync('carrel/library/desk-1/devices/pad-1/state');
    await expect.poll(() => retained.at(-1)?.detail.tags).toBe(3);
    await client.endAsync();
  });

  it('follows the ILS link: its pool busy and callers waiting while the ILS is slow, its round trip', async () => {
    await waitForDevice(api, 'ils', 'online');
    const ils = desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const before = await device('ils');
    expect(before.detail).toMatchObject({ connections: expect.any(Number), waiting: 0 });
    ils.setFaults({ latencyMs: 700 });
    let lookups: Promise<number[]> | undefined;
    try {
      // More item look-ups at once than the pool has connections: some wait, as the detail says now.
      lookups = Promise.all(
        Array.from({ length: before.detail.connections + 2 }, async () => {
          const answer = await fetch(`${api}/api/v1/items/31000004`);
          await answer.arrayBuffer();
          return answer.status;
        }),
      );
      await expect
        .poll(async () => (await device('ils')).detail, { timeout: 5000, interval: 50 })
        .toMatchObject({ idle: 0, waiting: expect.toSatisfy((waiting: number) => waiting > 0) });
      expect(await lookups).toEqual(Array(before.detail.connections + 2).fill(200));
      expect((await device('ils')).detail.roundTripMs).toBeGreaterThan(before.detail.roundTripMs);
      expect((await device('ils')).detail.waiting).toBe(0);
    } finally {
      ils.setFaults({ latencyMs: 0 });
      await lookups?.catch(() => undefined);
    }
    expect((await device('ils')).reconnects).toBe(before.reconnects);
  }, 30_000);

  it('follows the receipt printer’s paper and cover', async () => {
    await waitForDevice(api, 'receipt-1', 'online');
    const printer = desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const retained = await retainedStates('receipt-1');
    try {
      printer.setCondition({ paperOut: true });
      await expect.poll(async () => (await device('receipt-1')).detail.paper, { timeout: 5000 }).toBe('out');
      await expect.poll(() => retained.latest()?.detail.paper, { timeout: 5000 }).toBe('out');
      printer.setCondition({ paperOut: false, coverOpen: true });
      await expect
        .poll(async () => (await device('receipt-1')).detail.coverOpen, { timeout: 5000 })
        .toBe(true);
      await expect.poll(() => retained.latest()?.detail.coverOpen, { timeout: 5000 }).toBe(true);
      expect((await device('receipt-1')).detail.paper).toBe('ok');
    } finally {
      printer.setCondition({ paperOut: false, coverOpen: false });
      await retained.close();
    }
    await expect
      .poll(async () => (await device('receipt-1')).detail.coverOpen, { timeout: 5000 })
      .toBe(false);
  });

  it('follows the gate’s people counts and its last alarm', async () => {
    await waitForDevice(api, 'exit-1', 'online', 15_000);
    const gate = desk.simulators.handle(gateSimulators, 'gate-sim')!;
    const retained = await retainedStates('exit-1');
    try {
      const before = (await device('exit-1')).detail;
      gate.walk({ direction: 'in', items: [] });
      // Counted at the counter's next reading: within its 5 s, and a margin.
      await expect
        .poll(async () => (await device('exit-1')).detail.counts.in, { timeout: 8000 })
        .toBe(before.counts.in + 1);
      await expect
        .poll(() => retained.latest()?.detail.counts.in, { timeout: 5000 })
        .toBe(before.counts.in + 1);

      // A secured item not on loan leaving: the gate's detail says when and why it alarmed last —
      // not which book, there or on the retained MQTT state (a book alarming at a given minute says
      // what someone carried out); staff read the item with the alarm (GET /gates).
      const earlier = before.lastAlarm?.id;
      gate.walk({ direction: 'out', items: ['31000004'] });
      await expect
        .poll(async () => (await device('exit-1')).detail.lastAlarm?.id ?? earlier, { timeout: 5000 })
        .not.toBe(earlier);
      const last = (await device('exit-1')).detail.lastAlarm;
      expect(last).toEqual({
        id: expect.any(String),
        time: expect.any(String),
        reason: expect.any(String),
        direction: 'out',
      });
      await expect.poll(() => retained.latest()?.detail.lastAlarm?.id, { timeout: 5000 }).toBe(last.id);
      expect(JSON.stringify(retained.latest())).not.toContain('31000004');
      const status = (await (await fetch(`${api}/api/v1/gates/exit-1`)).json()) as {
        recentAlarms: Array<{ id: string; item: { id: string } }>;
      };
      expect(status.recentAlarms[0]).toMatchObject({ id: last.id, item: { id: '31000004' } });
    } finally {
      await retained.close();
    }
  });

  it('follows the print queue’s held jobs', async () => {
    await waitForDevice(api, 'public-bw', 'online');
    const server = desk.simulators.handle(printServerSimulators, 'print-server')!;
    const retained = await retainedStates('public-bw');
    try {
      const before = (await device('public-bw')).detail.heldJobs as number;
      await server.submit({ user: '21000001', pages: 1 });
      await expect
        .poll(async () => (await device('public-bw')).detail.heldJobs, { timeout: 10_000 })
        .toBe(before + 1);
      await expect.poll(() => retained.latest()?.detail.heldJobs, { timeout: 10_000 }).toBe(before + 1);
    } finally {
      await retained.close();
    }
  });

  it('follows the cash box’s fill as coins go in', async () => {
    await waitForDevice(api, 'coins-1', 'online');
    const cash = desk.simulators.handle(cashSimulators, 'cash-sim')!;
    const coins = desk.services.ports.port(cashDevices, 'coins-1');
    const retained = await retainedStates('coins-1');
    try {
      const before = (await device('coins-1')).detail.cashBox;
      expect(before).toMatchObject({ count: expect.any(Number), expectedMinor: expect.any(Number) });
      await coins.accept({ holder: 'detail-test', currency: 'EUR', maxValueMinor: 200 });
      expect(cash.insertCoin(50)).toMatchObject({ accepted: true });
      expect(cash.insertCoin(200)).toMatchObject({ accepted: true });
      const after = { count: before.count + 2, expectedMinor: before.expectedMinor + 250 };
      await expect
        .poll(async () => (await device('coins-1')).detail.cashBox, { timeout: 5000 })
        .toMatchObject(after);
      await expect.poll(() => retained.latest()?.detail.cashBox, { timeout: 5000 }).toMatchObject(after);
    } finally {
      await coins.release('detail-test');
      await retained.close();
    }
  });
});
