import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttResponse } from '../../../src/api/mqtt/topics.js';
import { startTestDesk, type TestDesk, withTokens } from '../../helpers/desk.js';
import { Observer } from './observer.js';

/**
 * Issue 10, as found from outside: the simulated desk with real tokens, its
 * embedded broker over TCP, and kiosks asking circulation questions with a
 * patron's PIN. Nobody but the asking kiosk may ever read the question or the
 * answer.
 */
const TOKENS = {
  kioskA: 'kiosk-a-token-0123456789abcdef',
  kioskB: 'kiosk-b-token-0123456789abcdef',
  monitor: 'monitor-token-0123456789abcdef',
};
const PATRON = '21000009';
const WRONG_PIN = '9999-wrong';
const PIN = '9999';
const BASE = 'carrel/library/desk-1';

let desk: TestDesk;
let url: string;
const observers: Observer[] = [];

async function connect(clientId: string, token: string): Promise<Observer> {
  const observer = await Observer.connect(url, {
    clientId,
    username: clientId,
    password: token,
    protocolVersion: 4,
  });
  observers.push(observer);
  return observer;
}

function requestTopic(clientId: string, action: string): string {
  return `${BASE}/clients/${clientId}/request/${action}`;
}

/** Kiosk A asks, with a PIN, and waits for its answers. */
async function kioskAsks(kiosk: Observer, clientId: string): Promise<void> {
  const asks = [
    { action: 'circulation.patron', data: { patron: PATRON, pin: WRONG_PIN } },
    { action: 'circulation.patron', data: { patron: PATRON, pin: PIN } },
    { action: 'circulation.checkout', data: { patron: PATRON, pin: PIN, item: '31000004' } },
    { action: 'circulation.renew', data: { patron: PATRON, pin: PIN, item: '31000004' } },
  ];
  for (const [i, ask] of asks.entries()) {
    const transaction = `${clientId}-${i}`;
    await kiosk.publish(requestTopic(clientId, ask.action), JSON.stringify({ transaction, data: ask.data }));
    await kiosk.waitFor(
      (m) => (m.json as MqttResponse | undefined)?.transaction === transaction,
      `the answer to ${ask.action}`,
    );
  }
}

/**
 * Waits until `observer` has received a device event published after everything
 * before it: anything the broker was going to hand it from the kiosk's requests
 * has arrived by then (one broker, in order per subscriber).
 */
async function barrier(observer: Observer, name: string): Promise<void> {
  desk.desk.services.bus.emit('device.event', {
    device: 'probe',
    type: name,
    time: new Date().toISOString(),
    data: {},
  });
  await observer.waitFor((m) => m.topic === `${BASE}/devices/probe/events/${name}`, `the ${name} barrier`);
}

function carryingPins(observer: Observer): string[] {
  return observer.messages
    .filter((m) => m.payload.toString('utf8').includes(PIN))
    .map((m) => `${m.topic} ${m.payload.toString('utf8')}`);
}

describe('MQTT privacy: nobody reads another client’s circulation requests (issue 10)', () => {
  beforeAll(async () => {
    desk = await startTestDesk((config) =>
      withTokens(config, [
        { name: 'kiosk-a', token: TOKENS.kioskA, scopes: ['kiosk'] },
        { name: 'kiosk-b', token: TOKENS.kioskB, scopes: ['kiosk'] },
        { name: 'it-monitoring', token: TOKENS.monitor, scopes: ['monitor'] },
      ]),
    );
    url = desk.desk.urls().mqtt!;
  });
  afterAll(async () => {
    for (const observer of observers) await observer.close().catch(() => {});
    await desk?.stop();
  });

  it('a monitor token subscribing to request topics never receives a PIN', async () => {
    const monitor = await connect('it-monitoring', TOKENS.monitor);
    for (const filter of [`${BASE}/request/#`, 'carrel/+/+/request/+', `${BASE}/clients/+/request/+`]) {
      await monitor.client.subscribeAsync(filter, { qos: 1 }).catch(() => {});
    }
    await monitor.subscribe(`${BASE}/devices/+/events/+`);
    const kiosk = await connect('kiosk-a', TOKENS.kioskA);
    await kiosk.subscribe(`${BASE}/#`);
    await kioskAsks(kiosk, 'kiosk-a');
    await barrier(monitor, 'monitor-barrier');
    expect(carryingPins(monitor)).toEqual([]);
    expect(monitor.messages.filter((m) => m.payload.toString('utf8').includes(PATRON))).toEqual([]);
  });

  it('a second kiosk subscribing to # never receives the first kiosk’s PIN or answers', async () => {
    const kioskB = await connect('kiosk-b', TOKENS.kioskB);
    await kioskB.subscribe('#');
    const kioskA = await connect('kiosk-a', TOKENS.kioskA);
    await kioskA.subscribe(`${BASE}/#`);
    await kioskAsks(kioskA, 'kiosk-a');
    await barrier(kioskB, 'kiosk-b-barrier');
    expect(carryingPins(kioskB)).toEqual([]);
    expect(kioskB.messages.filter((m) => m.payload.toString('utf8').includes(PATRON))).toEqual([]);
    expect(kioskB.messages.filter((m) => m.payload.toString('utf8').includes('"transaction"'))).toEqual([]);
  });

  it('a second kiosk cannot take over the first kiosk’s client id, connected or not', async () => {
    const kioskA = await connect('kiosk-a', TOKENS.kioskA);
    const refusal = (error: unknown) => error;
    const hijack = await Observer.connect(url, {
      clientId: 'kiosk-a',
      username: 'kiosk-b',
      password: TOKENS.kioskB,
      protocolVersion: 4,
    }).then(async (observer) => {
      await observer.close();
      return undefined;
    }, refusal);
    expect(hijack, 'kiosk B connected as kiosk-a').toMatchObject({ code: 2 });
    // Kiosk A was not thrown off, and still gets its own answers.
    expect(kioskA.client.connected).toBe(true);
    await kioskA.subscribe(`${BASE}/#`);
    await kioskAsks(kioskA, 'kiosk-a');
    await kioskA.close();
    const later = await Observer.connect(url, {
      clientId: 'kiosk-a',
      username: 'kiosk-b',
      password: TOKENS.kioskB,
      protocolVersion: 4,
    }).then(async (observer) => {
      await observer.close();
      return undefined;
    }, refusal);
    expect(later, 'kiosk B connected as kiosk-a once A had gone').toMatchObject({ code: 2 });
    // Kiosk A's own token still may.
    const back = await connect('kiosk-a', TOKENS.kioskA);
    expect(back.client.connected).toBe(true);
  });
});
