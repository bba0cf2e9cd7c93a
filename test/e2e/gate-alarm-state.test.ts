import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { GATE_ALARM_BLOCK, withGateAlarm } from '../../src/protocols/feig/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Whether the gate's alarm is on, as staff and IT read it from `GET /api/v1/gates`: the simulated
 * FEIG gate dials the desk and Carrel reads the gate's alarm configuration over its command port
 * (TCP) as it connects, so the answer is there from the moment the gate is online — not `null`
 * until someone switches the alarm. A gate whose alarm was switched off at the gate itself says
 * so once Carrel connects to it again. IT's monitor link reads the gate's health and counts, and
 * when and why it alarmed, but not which item: staff read that.
 */
let testDesk: TestDesk;
let api: string;
const STAFF = 'staff-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';
const KIOSK = 'kiosk-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withTokens(config, [
      { name: 'desk-staff', token: STAFF, scopes: ['staff'] },
      { name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] },
      { name: 'kiosk-1', token: KIOSK, scopes: ['kiosk'] },
      { name: 'it-admin', token: ADMIN, scopes: ['admin'] },
    ]),
  );
  api = testDesk.api;
  await waitForDevice(api, 'exit-1', 'online', 15_000, STAFF);
});

afterAll(async () => {
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
const call = (method: 'GET' | 'POST', path: string, body?: unknown, token = STAFF) =>
  callApi(`${api}/api/v1`, method, path, body, { token });

describe("a gate's alarm state", () => {
  it('is shown as the gate says it from the moment the gate is online', async () => {
    const atGate = gateSim().state().alarm;
    expect(atGate.on).toBe(true);
    const one = await call('GET', '/gates/exit-1');
    expect(one.status).toBe(200);
    expect(one.json.alarm).toEqual({ on: true, loops: atGate.loops });
    const all = await call('GET', '/gates');
    const listed = all.json.gates.find((gate: { id: string }) => gate.id === 'exit-1');
    expect(listed.alarm).toEqual({ on: true, loops: atGate.loops });
  });

  it('follows an alarm switched off at the gate itself once Carrel connects to it again', async () => {
    // Someone switches the alarm off with the gate maker's tool: its configuration block, then a restart.
    const model = gateSim().model;
    model.writeBlock(
      GATE_ALARM_BLOCK,
      withGateAlarm(model.readBlock(GATE_ALARM_BLOCK), false, model.alarm().loops),
    );
    model.cpuReset();
    expect(gateSim().state().alarm.on).toBe(false);
    expect((await call('POST', '/devices/exit-1/reconnect', undefined, ADMIN)).status).toBe(200);
    const alarm = await until(async () => {
      const { json } = await call('GET', '/gates/exit-1');
      return json.alarm?.on === false ? json.alarm : undefined;
    }, 5000);
    expect(alarm).toEqual({ on: false, loops: expect.any(Number) });
  });

  it("gives IT's monitor link the gate's health, counts and when it alarmed, never which item: staff read the item", async () => {
    const before = (await call('GET', '/gates/exit-1')).json.alarms as number;
    gateSim().walk({ direction: 'out', items: ['31000004'] });
    const staff = await until(async () => {
      const answer = await call('GET', '/gates/exit-1');
      return answer.json.alarms > before ? answer : undefined;
    }, 5000);
    const alarm = staff.json.recentAlarms[0];
    expect(alarm.item).toMatchObject({ id: '31000004' });
    expect(alarm.uid).toEqual(expect.any(String));

    for (const token of [MONITOR, KIOSK]) {
      const one = await call('GET', '/gates/exit-1', undefined, token);
      expect(one.status).toBe(200);
      expect(one.json.alarm).toEqual(staff.json.alarm);
      expect(one.json.alarms).toBe(staff.json.alarms);
      expect(one.json.recentAlarms[0]).toMatchObject({
        id: alarm.id,
        time: alarm.time,
        reason: alarm.reason,
        direction: 'out',
        item: null,
        uid: null,
        memoryHex: null,
      });
      const all = await call('GET', '/gates', undefined, token);
      expect(all.status).toBe(200);
      const listed = all.json.gates.find((gate: { id: string }) => gate.id === 'exit-1');
      expect(listed.lastAlarm).toMatchObject({ id: alarm.id, time: alarm.time, item: null, uid: null });
      // Neither the barcode nor the tag's UID anywhere in what this link reads.
      for (const text of [JSON.stringify(one.json), JSON.stringify(all.json)]) {
        expect(text).not.toContain('31000004');
        expect(text).not.toContain(alarm.uid);
      }
    }
    const listed = (await call('GET', '/gates')).json.gates.find(
      (gate: { id: string }) => gate.id === 'exit-1',
    );
    expect(listed.lastAlarm.item).toMatchObject({ id: '31000004' });
  });
});
