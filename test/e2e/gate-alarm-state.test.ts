import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { GATE_ALARM_BLOCK, withGateAlarm } from '../../src/protocols/feig/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Whether the gate's alarm is on, as staff and IT read it from `GET /api/v1/gates`: the simulated
 * FEIG gate dials the desk and Carrel reads the gate's alarm configuration over its command port
 * (TCP) as it connects, so the answer is there from the moment the gate is online — not `null`
 * until someone switches the alarm. A gate whose alarm was switched off at the gate itself says
 * so once Carrel connects to it again.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'exit-1', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

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
    expect((await call('POST', '/devices/exit-1/reconnect')).status).toBe(200);
    const alarm = await until(async () => {
      const { json } = await call('GET', '/gates/exit-1');
      return json.alarm?.on === false ? json.alarm : undefined;
    }, 5000);
    expect(alarm).toEqual({ on: false, loops: expect.any(Number) });
  });
});
