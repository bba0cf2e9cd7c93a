import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../helpers/mosquitto.js';

const skip = mosquittoSkipReason();
if (skip) console.warn(skip);

const TOPIC = 'carrel/library/desk-1/devices/exit-1/state';

interface GateState {
  detail: { visitors?: { today: { in: number; out: number }; occupancy: number } };
}

/**
 * The gate's visitor counts as an IT dashboard reads them from a real Mosquitto: the desk
 * publishes the gate's state retained, the counts move in it as people walk through, and a
 * dashboard connecting later is handed the latest counts by the broker, from the retained message.
 */
describe.skipIf(skip !== undefined)('visitor counts in the retained MQTT state, on Mosquitto', () => {
  let broker: MosquittoBroker;
  let testDesk: TestDesk;

  beforeAll(async () => {
    broker = await startMosquitto();
    testDesk = await startTestDesk((config) => ({ ...config, mqtt: { mode: 'external', url: broker.url } }));
    await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  });

  afterAll(async () => {
    await testDesk?.stop();
    await broker?.stop();
  });

  /** The retained state a client is handed on subscribing (a dashboard that just connected). */
  async function retainedState(): Promise<GateState> {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      const state = new Promise<GateState>((resolve) =>
        client.on('message', (topic, payload, packet) => {
          if (topic === TOPIC && packet.retain) resolve(JSON.parse(String(payload)));
        }),
      );
      await client.subscribeAsync(TOPIC);
      return await state;
    } finally {
      await client.endAsync();
    }
  }

  it('moves with the people counted, and a client connecting later finds the latest counts', async () => {
    const sim = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    const read = () => fetch(`${testDesk.api}/api/v1/gates/exit-1/counters`);
    await read();
    await expect.poll(async () => (await retainedState()).detail.visitors).toBeDefined();
    const before = (await retainedState()).detail.visitors!;
    for (let i = 0; i < 4; i++) sim.walk({ direction: 'in', items: [] });
    sim.walk({ direction: 'out', items: [] });
    await read();
    await expect
      .poll(async () => (await retainedState()).detail.visitors?.today, { timeout: 5000 })
      .toEqual({ ...before.today, in: before.today.in + 4, out: before.today.out + 1 });
    // No opening time on the simulated desk: the occupancy counts from the daily reset, as today does.
    expect((await retainedState()).detail.visitors?.occupancy).toBe(
      Math.max(0, before.today.in + 4 - (before.today.out + 1)),
    );
  });
});
