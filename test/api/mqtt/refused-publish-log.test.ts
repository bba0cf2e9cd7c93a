/**
 * A kiosk whose token may not make requests (a monitor token given to a
 * kiosk by mistake) publishes and is dropped by the embedded broker, again
 * and again as it reconnects. IT reads the desk's log at its usual level
 * (info): one warning per client and topic a minute names the client, the
 * topic and why, never what it sent. Real MQTT over TCP to the broker; the
 * minute is the broker's clock's.
 */
import { PassThrough } from 'node:stream';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerAuth } from '../../../src/api/mqtt/auth.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../../src/api/mqtt/embedded-broker.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';

const KIOSK_TOKEN = 'kiosk-token-0123456789abcdef';
const MONITOR_TOKEN = 'monitor-token-0123456789abcdef';
const topics = new CarrelTopics('main-library', 'desk-1');
const PATRON = '21000001';
const PIN = 'pin-8841';

let broker: EmbeddedBroker;
let clock: ManualClock;
let log = '';
const clients: MqttClient[] = [];

beforeAll(async () => {
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  const auth = createBrokerAuth({
    topics,
    tokens: [
      { name: 'kiosk', token: KIOSK_TOKEN, scopes: ['kiosk'] },
      { name: 'it', token: MONITOR_TOKEN, scopes: ['monitor'] },
    ],
  });
  clock = new ManualClock();
  broker = await startEmbeddedBroker({
    port: 0,
    logger: createLogger({ level: 'info', format: 'json', destination: lines }),
    authenticate: auth.authenticate,
    clock,
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.endAsync(true);
});

afterAll(async () => {
  await broker.close();
});

/** Connects as `clientId`, publishes a checkout with a patron and PIN on `topic`, and waits to be dropped. */
async function publishRefused(clientId: string, token: string, topic: string): Promise<void> {
  const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    clientId,
    username: clientId,
    password: token,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  clients.push(client);
  const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(
    topic,
    JSON.stringify({ transaction: 'tx-payload-marker', data: { patron: PATRON, pin: PIN } }),
    { qos: 1 },
  );
  await gone;
}

/** The log's lines about refused publishes, parsed. */
const refusals = () =>
  log
    .split('\n')
    .filter((line) => line.includes('may not publish'))
    .map(
      (line) =>
        JSON.parse(line) as {
          level: string;
          msg: string;
          clientId: string;
          topic: string;
          refusedSince?: number;
        },
    );

describe('a PUBLISH the embedded broker refuses', () => {
  it('is a warning naming the client, the topic and why, once a minute per client and topic, never the payload', async () => {
    const request = topics.request('kiosk-3', 'circulation.checkout').name;
    for (let i = 0; i < 3; i++) await publishRefused('kiosk-3', MONITOR_TOKEN, request);
    await expect.poll(() => refusals().length).toBe(1);
    const [first] = refusals();
    expect(first).toMatchObject({ level: 'warn', clientId: 'kiosk-3', topic: request });
    expect(first!.msg).toBe(
      `MQTT client "kiosk-3" may not publish on ${request}: its token only reads (monitor scope); a client that makes requests needs a token with the kiosk, staff or admin scope (disconnected)`,
    );

    // Another client's area, by a kiosk token: its own line, saying so.
    const others = topics.request('kiosk-1', 'circulation.checkout').name;
    await publishRefused('kiosk-4', KIOSK_TOKEN, others);
    await expect.poll(() => refusals().length).toBe(2);
    expect(refusals()[1]!.msg).toBe(
      `MQTT client "kiosk-4" may not publish on ${others}: a client publishes its requests under its own client id, ${topics.base}/clients/kiosk-4/request/<action> (disconnected)`,
    );

    // Within the minute, kiosk-3 again: nothing more. After it, one line counting the ones not logged.
    await publishRefused('kiosk-3', MONITOR_TOKEN, request);
    await clock.advance(61_000);
    await publishRefused('kiosk-3', MONITOR_TOKEN, request);
    await expect.poll(() => refusals().length).toBe(3);
    expect(refusals()[2]).toMatchObject({
      level: 'warn',
      clientId: 'kiosk-3',
      topic: request,
      refusedSince: 3,
    });
    expect(refusals()[2]!.msg).toContain('(disconnected; refused 3 more times since the last line)');

    expect(log).not.toContain(PATRON);
    expect(log).not.toContain('"pin"');
    expect(log).not.toContain(PIN);
    expect(log).not.toContain('tx-payload-marker');
    expect(log).not.toContain(MONITOR_TOKEN);
  }, 20_000);

  it('a SUBSCRIBE refused, the client left connected hearing nothing: a warning once a minute, naming what it may read', async () => {
    // A kiosk set up with another kiosk's client id in its response topic: its SUBACK refuses it
    // and it waits for answers that never come. IT hears of it.
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'kiosk-5',
      username: 'kiosk-5',
      password: KIOSK_TOKEN,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const others = `${topics.base}/clients/kiosk-1/response/#`;
    // Refused in the SUBACK (0x80), twice; mqtt.js rejects the subscription.
    for (let i = 0; i < 2; i++)
      await expect(client.subscribeAsync(others, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const lines = () =>
      log
        .split('\n')
        .filter((line) => line.includes('may not subscribe'))
        .map((line) => JSON.parse(line) as { level: string; msg: string; clientId: string; topic: string });
    await expect.poll(() => lines().length).toBe(1);
    expect(lines()[0]).toMatchObject({ level: 'warn', clientId: 'kiosk-5', topic: others });
    expect(lines()[0]!.msg).toBe(
      `MQTT client "kiosk-5" may not subscribe to ${others}: it matches nothing this client may read — the desk's state, totals, devices' states and events, and its own answers, ${topics.base}/clients/kiosk-5/response/# (its subscription refused; still connected)`,
    );
    expect(client.connected).toBe(true);
  });
});
