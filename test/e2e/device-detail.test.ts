/**
 * A device's health record tells the truth about it now: its detail (the tags on
 * a pad, the ILS link's open connections) follows the device, on the HTTP API and
 * in the retained MQTT state, not only when its status last changed.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { Desk } from '../../src/app/desk.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let desk: Desk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ({ desk, api } = testDesk);
  await waitForDevice(api, 'pad-1', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

interface DeviceJson {
  status: string;
  detail: Record<string, unknown>;
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
});
