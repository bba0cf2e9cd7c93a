import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * The kiosk's serial scanner on the simulated desk, end to end: the simulator
 * sends lines over TCP, the driver reads them, the gateway classifies them, and
 * the identification reaches the event WebSocket and MQTT with a patron's value
 * hidden, and the device's own stream whole.
 */
const BASE = 'carrel/library/desk-1';
const PATRON = '21000001';
const CARD = '600649001234567';

let test: TestDesk;
let log = '';
let client: MqttClient;
const events: Array<{ type: string; data: Record<string, unknown> }> = [];
const stream: Array<{ event: string; data: Record<string, unknown> }> = [];
const mqttMessages: Array<{ topic: string; payload: string; retain: boolean }> = [];
const sockets: WebSocket[] = [];

async function socket(
  path: string,
  onMessage: (message: Record<string, unknown>) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`${test.api.replace('http', 'ws')}${path}`);
  ws.on('message', (raw) => onMessage(JSON.parse(String(raw))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  sockets.push(ws);
  return ws;
}

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  test = await startTestDesk((c) => c, createLogger({ level: 'debug', destination }));
  await waitForDevice(test.api, 'scanner-1', 'online', 15_000);
  await socket('/api/v1/events?devices=scanner-1', (message) => {
    if (message.event !== 'device.event') return;
    const data = message.data as { type: string; data: Record<string, unknown> };
    events.push({ type: data.type, data: data.data });
  });
  await socket('/api/v1/scanners/scanner-1/identifications', (message) =>
    stream.push(message as { event: string; data: Record<string, unknown> }),
  );
  client = await mqtt.connectAsync(test.desk.urls().mqtt!, { reconnectPeriod: 0, clientId: 'scanner-e2e' });
  client.on('message', (topic, payload, packet) =>
    mqttMessages.push({ topic, payload: String(payload), retain: packet.retain }),
  );
  await client.subscribeAsync([`${BASE}/#`]);
}, 30_000);

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await client?.endAsync();
  await test?.stop();
});

const sim = (): ScannerSimulator => test.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;
const identified = (value: string | null, role: string) =>
  until(() =>
    events.find((e) => e.type === 'scanner.identified' && e.data.value === value && e.data.role === role),
  );

describe('the kiosk scanner on the simulated desk', () => {
  it('an item barcode is an item identification, whole, on the WebSocket, MQTT and the device stream', async () => {
    await sim().scan('31000001');
    const event = await identified('31000001', 'item');
    expect(event.data).toMatchObject({
      source: 'serial',
      kind: 'barcode',
      device: 'scanner-1',
      role: 'item',
    });
    expect(Date.parse(event.data.at as string)).not.toBeNaN();
    await until(() =>
      mqttMessages.find(
        (m) =>
          m.topic === `${BASE}/devices/scanner-1/events/scanner.identified` && m.payload.includes('31000001'),
      ),
    );
    await until(() => stream.find((m) => m.event === 'scanner.identified' && m.data.value === '31000001'));
  });

  it("a patron's barcode and a swiped card: hidden on the WebSocket and MQTT and in the log, whole on the device stream and over HTTP", async () => {
    await sim().scan(PATRON);
    const patron = await identified(null, 'patron');
    expect(patron.data).toMatchObject({ kind: 'barcode', role: 'patron', redacted: true });
    expect(patron.data).not.toHaveProperty('patron');
    await until(() => stream.find((m) => m.data.value === PATRON && m.data.patron === PATRON));
    const last = (await (await fetch(`${test.api}/api/v1/scanners/scanner-1/last`)).json()) as {
      identification: Record<string, unknown>;
    };
    expect(last.identification).toMatchObject({ value: PATRON, role: 'patron', patron: PATRON });

    await sim().swipe(CARD);
    await until(() => stream.find((m) => m.data.value === CARD && m.data.kind === 'card'));
    const card = await until(() =>
      events.find(
        (e) => e.type === 'scanner.identified' && e.data.kind === 'card' && e.data.source === 'magstripe',
      ),
    );
    expect(card.data).toMatchObject({ value: null, redacted: true, role: 'patron' });

    // MQTT: the events say there was a patron, never who; the last identification over MQTT is masked too.
    await client.publishAsync(
      `${BASE}/clients/scanner-e2e/request/scanners.last`,
      JSON.stringify({ transaction: 't1', data: { id: 'scanner-1' } }),
    );
    const answer = await until(() =>
      mqttMessages.find((m) => m.topic === `${BASE}/clients/scanner-e2e/response/scanners.last`),
    );
    expect(JSON.parse(answer.payload)).toMatchObject({
      status: 'ok',
      data: { identification: { value: null, kind: 'card' } },
    });
    const everything = mqttMessages.map((m) => m.payload).join('\n');
    expect(everything).not.toContain(PATRON);
    expect(everything).not.toContain(CARD);
    expect(
      mqttMessages
        .filter((m) => m.retain)
        .map((m) => m.payload)
        .join('\n'),
    ).not.toContain('scanner.identified');
    expect(log).not.toContain(PATRON);
    expect(log).not.toContain(CARD);
  });

  it('broken scans are rejections that say why, never a value; the scanner stays online and counts them', async () => {
    await sim().sendRaw(Buffer.from(`${'9'.repeat(10_000)}\r`));
    await sim().sendRaw(Uint8Array.of(0x33, 0x31, 0xff, 0x0d));
    await sim().sendRaw(Buffer.from('31\u000700001\r'));
    await until(() => (events.filter((e) => e.type === 'scanner.rejected').length >= 3 ? true : undefined));
    expect(events.filter((e) => e.type === 'scanner.rejected').map((e) => e.data.code)).toEqual([
      'scan_too_long',
      'scan_invalid_utf8',
      'scan_control_character',
    ]);
    const state = (await (await fetch(`${test.api}/api/v1/devices/scanner-1`)).json()) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({
      status: 'online',
      detail: { source: 'serial', reads: 3, rejected: 3, lastRejected: 'scan_control_character' },
    });
    await sim().scan('31000002');
    await identified('31000002', 'item');
  });

  it('the device stream is for kiosk and staff only and names a scanner', async () => {
    const closed = new Promise<number>((resolve) => {
      const ws = new WebSocket(`${test.api.replace('http', 'ws')}/api/v1/scanners/receipt-1/identifications`);
      ws.on('close', (code) => resolve(code));
    });
    expect(await closed).toBe(4404);
  });

  it("a barcode no pattern knows may be a patron's (a new card series): hidden on the WebSocket and MQTT, whole on the device stream", async () => {
    const NEITHER = '21234000000011';
    await sim().scan(NEITHER);
    await until(() => stream.find((m) => m.data.value === NEITHER && m.data.role === 'unknown'));
    const unknown = await identified(null, 'unknown');
    expect(unknown.data).toMatchObject({ kind: 'barcode', role: 'unknown', redacted: true });
    await until(() =>
      mqttMessages.find(
        (m) =>
          m.topic === `${BASE}/devices/scanner-1/events/scanner.identified` &&
          m.payload.includes('"unknown"'),
      ),
    );
    expect(mqttMessages.map((m) => m.payload).join('\n')).not.toContain(NEITHER);
    expect(log).not.toContain(NEITHER);
  });
});
