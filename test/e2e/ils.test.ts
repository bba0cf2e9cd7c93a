import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { Desk } from '../../src/app/desk.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

/** The ILS link as a supervised component of the simulated desk: health in /readyz, /metrics and MQTT. */
let testDesk: TestDesk;
let desk: Desk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ({ desk, api } = testDesk);
});

afterAll(async () => {
  await testDesk?.stop();
});

interface DeviceJson {
  device: string;
  kind: string;
  status: string;
  detail: { roundTripMs?: number; connections?: number; connectionsDropped?: number };
}

async function ilsState(): Promise<DeviceJson> {
  return (await (await fetch(`${api}/api/v1/devices/ils`)).json()) as DeviceJson;
}

describe('the ILS link on the simulated desk', () => {
  it('logs in to the simulated ILS and reports online with its round-trip time', async () => {
    await expect.poll(async () => (await ilsState()).status, { timeout: 5000 }).toBe('online');
    const state = await ilsState();
    expect(state.kind).toBe('ils');
    expect(state.detail.connections).toBeGreaterThan(0);
    expect(typeof state.detail.roundTripMs).toBe('number');
    const readiness = (await (await fetch(`${api}/readyz`)).json()) as {
      checks: Array<{ name: string; ok: boolean }>;
    };
    expect(readiness.checks).toContainEqual(expect.objectContaining({ name: 'device:ils', ok: true }));
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toContain('carrel_device_status{device="ils",kind="ils",status="online"} 1');
    expect(metrics).toMatch(/carrel_device_round_trip_seconds\{device="ils"\} \d/);
  });

  it('counts the connections the ILS drops, each opened again without the link going offline', async () => {
    const dropped = async () => (await ilsState()).detail.connectionsDropped;
    expect(await dropped()).toBe(0);
    const closed = desk.simulators.handle(ilsSimulators, 'ils-sim')!.dropConnections();
    expect(closed).toBeGreaterThan(0);
    await expect.poll(dropped, { timeout: 5000 }).toBe(closed);
    expect((await ilsState()).status).toBe('online');
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toContain(`carrel_ils_connections_dropped_total{device="ils"} ${closed}`);
  });

  it('publishes the link state retained on MQTT and turns offline, failing readiness, when the ILS goes away', async () => {
    const client = await mqtt.connectAsync(desk.urls().mqtt!, { protocolVersion: 4, reconnectPeriod: 0 });
    const states: string[] = [];
    client.on('message', (_topic, payload) => states.push(JSON.parse(String(payload)).status));
    await client.subscribeAsync('carrel/library/desk-1/devices/ils/state');
    await expect.poll(() => states.at(-1)).toBe('online');

    await desk.simulators.handle(ilsSimulators, 'ils-sim')!.close();
    await expect.poll(async () => (await ilsState()).status, { timeout: 8000 }).toBe('offline');
    await expect.poll(() => states.at(-1)).toBe('offline');
    expect((await fetch(`${api}/readyz`)).status).toBe(503);
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/carrel_device_last_error_seconds\{device="ils",code="[a-z_]+"\} \d/);
    // No round trip is measured to an ILS out of reach: the last one before it went is not shown as now.
    expect(metrics).not.toMatch(/carrel_device_round_trip_seconds\{device="ils"\}/);
    await client.endAsync();
  });
});
