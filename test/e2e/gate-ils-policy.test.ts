import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A gate that asks the ILS (policy `ils`) on the simulated desk: the gate reports every tag (no
 * AFI filter of its own: `reports: all`, which its simulator follows), the sample library's ILS answers item information over
 * SIP2, and only items not charged alarm. When the ILS hangs, the alarm comes after the
 * timeout, decided by what the gate reported, and says the ILS did not answer.
 */
let testDesk: TestDesk;
const events: Array<{ type: string; device: string; data: Record<string, unknown> }> = [];
let socket: WebSocket;

const ILS_TIMEOUT_MS = 300;

function askTheIls(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    devices: config.devices.map((device) =>
      device.kind === 'gate'
        ? {
            ...device,
            reports: 'all',
            alarm: { ...device.alarm, method: 'ils', ilsTimeoutMs: ILS_TIMEOUT_MS },
          }
        : device,
    ),
  };
}

beforeAll(async () => {
  testDesk = await startTestDesk(askTheIls);
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
  socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events?devices=exit-1`);
  socket.on('message', (message) => {
    const parsed = JSON.parse(String(message));
    if (parsed.event === 'device.event') events.push(parsed.data);
  });
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

const alarmFor = (item: string) => () =>
  events.find((e) => e.type === 'gate.alarm' && (e.data.item as { id?: string } | null)?.id === item);

describe('a gate that asks the ILS', () => {
  it('alarms for an item on the shelf, and lets one on loan pass, whatever the tag says', async () => {
    // 31000020 is on loan in the sample library; its tag still says "secured" (someone forgot).
    gateSim().walk({ direction: 'out', items: ['31000020'] });
    // 31000004 is on the shelf; its tag says "lent" (desensitised by mistake).
    gateSim().walk({ direction: 'out', items: ['31000004'], secured: false });
    const alarm = await until(alarmFor('31000004'));
    expect(alarm.data).toMatchObject({ reason: 'ils', ils: 'not_charged', direction: 'out' });
    const enriched = await until(() => events.find((e) => e.type === 'gate.alarm_enriched'));
    expect(enriched.data).toMatchObject({ alarm: alarm.data.id, title: 'Middlemarch', checkedOut: false });
    // A marker after them: once its alarm is here, the loaned item has long been decided.
    gateSim().walk({ direction: 'out', items: ['31000006'] });
    await until(alarmFor('31000006'));
    expect(alarmFor('31000020')()).toBeUndefined();
  });

  it('decides by the tag when the ILS does not answer in time, and says so', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    ils.setFaults({ hang: true });
    try {
      const walkedAt = Date.now();
      gateSim().walk({ direction: 'out', items: ['31000010'] });
      const alarm = await until(alarmFor('31000010'));
      expect(Date.now() - walkedAt).toBeGreaterThanOrEqual(ILS_TIMEOUT_MS - 20);
      expect(alarm.data).toMatchObject({ reason: 'reported', ils: 'unanswered' });
      const history = (await (await fetch(`${testDesk.api}/api/v1/gates/alarms?limit=1`)).json()) as {
        alarms: Array<{ id: string; reason: string; ils: string }>;
      };
      expect(history.alarms[0]).toMatchObject({ id: alarm.data.id, reason: 'reported', ils: 'unanswered' });
    } finally {
      ils.setFaults({});
    }
  });
});
