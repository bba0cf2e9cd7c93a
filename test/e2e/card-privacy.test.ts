import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * Issuing cards names a patron (barcode, name) to the ILS and in the staff-scoped issue records,
 * and nowhere else: not in the log (at debug), not in any MQTT message (retained state or event),
 * not in the WebSocket's events — even when a card fails its stripe check and is retried.
 */
let testDesk: TestDesk;
let log = '';
const mqttMessages: string[] = [];
const socketMessages: string[] = [];
let client: mqtt.MqttClient;
let socket: WebSocket;

beforeAll(async () => {
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  testDesk = await startTestDesk(
    (c) => c,
    createLogger({ level: 'debug', format: 'json', destination: lines }),
  );
  await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
  client = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
  client.on('message', (topic, payload) => mqttMessages.push(`${topic} ${String(payload)}`));
  await client.subscribeAsync('#');
  socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events`);
  socket.on('message', (message) => socketMessages.push(String(message)));
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await client?.endAsync();
  await testDesk?.stop();
});

async function issue(body: unknown) {
  const response = await fetch(`${testDesk.api}/api/v1/cards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { result: string; issueId: string };
}

describe('card issuing and patron privacy', () => {
  it('names the patron in no log line, MQTT message or event', async () => {
    const sim = testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;
    sim.model.faults.magstripeWriteErrors = 1;
    const first = await issue({ patron: '21000002', number: 'patron' });
    expect(first.result).toBe('issued');
    sim.model.feeder = 0;
    const failed = await issue({ patron: '21000002', number: 'patron' });
    expect(failed.result).toBe('failed');
    sim.model.feeder = 20;
    await expect
      .poll(() => socketMessages.some((m) => m.includes(failed.issueId)), { timeout: 5000 })
      .toBe(true);
    await expect
      .poll(() => mqttMessages.some((m) => m.includes(failed.issueId)), { timeout: 5000 })
      .toBe(true);
    expect(log).toContain('card issue finished'); // the log was captured
    for (const secret of ['21000002', 'Émile', 'Côté']) {
      expect(log).not.toContain(secret);
      expect(mqttMessages.filter((m) => m.includes(secret))).toEqual([]);
      expect(socketMessages.filter((m) => m.includes(secret))).toEqual([]);
    }
  });
});
