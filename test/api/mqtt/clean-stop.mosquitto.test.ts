/**
 * A desk stopped cleanly (systemd's SIGTERM) on a real Mosquitto: what the broker keeps retained
 * afterwards is what a fleet view, a dashboard or IT's `mosquitto_sub` reads of the stopped desk —
 * the desk offline with when it stopped, and each of its devices offline ("stopped"), published
 * before the desk's own offline, not the devices still online for ever.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CarrelDaemon,
  simulatedDeskConfig,
  startCarrelDaemon,
  stopDaemon,
} from '../../helpers/carrel-daemon.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';

const skip = mosquittoSkipReason();

describe.skipIf(skip !== undefined).each([
  ['3.1.1', 4],
  ['5', 5],
] as const)('a desk stopped with SIGTERM, on Mosquitto over MQTT %s', (version, protocolVersion) => {
  let broker: MosquittoBroker;
  let dir: string;
  let daemon: CarrelDaemon;
  const base = `carrel/library/stop-${protocolVersion}`;
  /** What a subscriber to the desk's tree saw live, in order. */
  const live: Array<{ topic: string; payload: Record<string, unknown> }> = [];
  let watcher: mqtt.MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'carrel-clean-stop-'));
    const config = simulatedDeskConfig(dir, { devices: ['receipt-1'], simulators: ['printer-sim'] });
    const configPath = join(dir, 'carrel.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        ...config,
        gateway: `stop-${protocolVersion}`,
        mqtt: { mode: 'external', url: broker.url, protocolVersion: version },
      }),
    );
    watcher = await mqtt.connectAsync(broker.url, { protocolVersion, reconnectPeriod: 0 });
    let online: () => void;
    const deviceOnline = new Promise<void>((resolve) => {
      online = resolve;
    });
    watcher.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      const message = { topic, payload: JSON.parse(String(payload)) };
      live.push(message);
      if (topic === `${base}/devices/receipt-1/state` && message.payload.status === 'online') online();
    });
    await watcher.subscribeAsync(`${base}/#`, { qos: 1 });
    daemon = await startCarrelDaemon(configPath);
    await deviceOnline;
  }, 60_000);

  afterAll(async () => {
    if (daemon) await stopDaemon(daemon.child);
    await watcher?.endAsync(true).catch(() => {});
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves each device retained as offline ("stopped"), before the desk’s own offline, as the desk left it', async () => {
    const before = live.length;
    await stopDaemon(daemon.child);
    expect(daemon.child.exitCode).toBe(0);

    // What someone subscribing afterwards is handed: the retained copies.
    const reader = await mqtt.connectAsync(broker.url, { protocolVersion, reconnectPeriod: 0 });
    const retained = new Map<string, Record<string, unknown>>();
    reader.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) retained.set(topic, JSON.parse(String(payload)));
    });
    await reader.subscribeAsync(`${base}/+/+/state`, { qos: 1 });
    await reader.subscribeAsync(`${base}/state`, { qos: 1 });
    await expect.poll(() => retained.size, { timeout: 5000 }).toBe(2);
    await reader.endAsync();

    const desk = retained.get(`${base}/state`)!;
    const printer = retained.get(`${base}/devices/receipt-1/state`)!;
    expect(desk).toMatchObject({ status: 'offline', since: expect.any(String) });
    expect(printer).toMatchObject({
      device: 'receipt-1',
      kind: expect.any(String),
      status: 'offline',
      reason: 'stopped',
    });
    // Since the stop, not since the device last came online.
    expect(printer.since).toBe(desk.since);

    // Live: the device's offline came before the desk's own.
    const after = live.slice(before).map((m) => `${m.topic} ${m.payload.status}`);
    const device = after.indexOf(`${base}/devices/receipt-1/state offline`);
    const own = after.indexOf(`${base}/state offline`);
    expect(device).toBeGreaterThanOrEqual(0);
    expect(own).toBeGreaterThan(device);
  }, 30_000);
});
