/**
 * The desk's totals as central IT reads them from MQTT (the fleet view): alarms and visitors
 * today, the offline backlog — retained on `carrel/<site>/<gateway>/totals`, so a viewer
 * connecting later is handed the latest, moving as the desk's day moves, and counts only:
 * neither the patron nor the item of a transaction is in them.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { DeskTotals } from '../../src/gateway/desk-totals.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

const TOPIC = 'carrel/library/desk-1/totals';
const PATRON = '21000009';
const ITEM = '31000005';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    offline: { ...config.offline, enabled: true, checkouts: true, maxTransactionsTotal: 100 },
  }));
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

/** What a viewer connecting now is handed: the retained totals, as they travel. */
async function retainedTotals(): Promise<{ raw: string; totals: DeskTotals }> {
  const client = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
  try {
    const message = new Promise<string>((resolve) =>
      client.on('message', (topic, payload, packet) => {
        if (topic === TOPIC && packet.retain) resolve(String(payload));
      }),
    );
    await client.subscribeAsync(TOPIC);
    const raw = await message;
    return { raw, totals: JSON.parse(raw) as DeskTotals };
  } finally {
    await client.endAsync();
  }
}

describe('desk totals on MQTT', () => {
  it('are retained for a viewer that connects later: the day, and every count', async () => {
    const { totals } = await retainedTotals();
    expect(totals).toEqual({
      day: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      alarmsToday: expect.any(Number),
      visitorsToday: expect.any(Number),
      offlinePending: 0,
      offlineConflicts: 0,
      recent: { days: expect.any(Array), counts: expect.any(Object) },
    });
    const today = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(totals.day).toBe(`${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`);
    // The last 31 local days, today last, one count per day for each headline measure.
    expect(totals.recent!.days).toHaveLength(31);
    expect(totals.recent!.days.at(-1)).toBe(totals.day);
    expect(Object.keys(totals.recent!.counts).sort()).toEqual([
      'alarms',
      'cards',
      'pages',
      'refusals',
      'transactions',
      'visitors',
    ]);
    for (const counts of Object.values(totals.recent!.counts)) expect(counts).toHaveLength(31);
  });

  it('count the gate’s alarms and the people it counted in today, as they happen', async () => {
    const before = (await retainedTotals()).totals;
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'out', items: ['31000004'] });
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'in', items: [] });
    await fetch(`${testDesk.api}/api/v1/gates/exit-1/counters`);
    await expect
      .poll(async () => (await retainedTotals()).totals, { timeout: 10_000 })
      .toMatchObject({ alarmsToday: before.alarmsToday + 1, visitorsToday: (before.visitorsToday ?? 0) + 2 });
  });

  it('carry a checkout in today’s recent days within seconds of it, the statistics read when it is written', async () => {
    const today = (totals: DeskTotals) =>
      (totals.recent?.counts.transactions.at(-1) ?? 0) + (totals.recent?.counts.refusals.at(-1) ?? 0);
    const before = today((await retainedTotals()).totals);
    // Done or refused, the ILS answered: a transaction of today's.
    await callApi(`${testDesk.api}/api/v1`, 'POST', '/checkouts', {
      patron: PATRON,
      pin: '9999',
      item: '31000001',
    });
    // Its count is written within a second, the recent days read once it is (at most every 2 s).
    await expect
      .poll(async () => today((await retainedTotals()).totals), { timeout: 8_000, interval: 100 })
      .toBe(before + 1);
  });

  it('count the checkouts waiting in the offline journal, naming neither patron nor item', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    await ils.close();
    await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);
    const checkout = await callApi(`${testDesk.api}/api/v1`, 'POST', '/checkouts', {
      patron: PATRON,
      pin: '9999',
      item: ITEM,
    });
    expect(checkout.json).toMatchObject({ ok: true, offline: true });
    await expect
      .poll(async () => (await retainedTotals()).totals.offlinePending, { timeout: 15_000 })
      .toBe(1);
    const { raw } = await retainedTotals();
    expect(raw).not.toContain(PATRON);
    expect(raw).not.toContain(ITEM);
  });
});
