import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ilsSimulators } from '../../simulators/ils/family.js';
import {
  type RfidPadSimulator,
  startRfidPadSimulator,
  type TagSpec,
} from '../../simulators/rfid-pad/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * The self-check pad's reader lost for a moment (its link over TCP dropped: the pad simulator
 * stopped and started again on its port) while a patron's items lie on it, end to end: the
 * desk's ILS over SIP2, the event WebSocket, MQTT (embedded broker) and a checkout session.
 * Nothing is said of the pad's tags while the reader is away; back, only what changed is.
 */
const BASE = 'carrel/library/desk-1';
const PATRON = '21000009';
const SECURED = 0x07;
const UNSECURED = 0xc2;

let desk: TestDesk;
let sim: RfidPadSimulator;
let port: number;
let socket: WebSocket;
let client: MqttClient;
const wsEvents: Array<{ type: string; uid: unknown }> = [];
const mqttEvents: Array<{ type: string; uid: unknown }> = [];
const call = jsonCaller(() => desk.api);

beforeAll(async () => {
  sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
  port = sim.tcpPort!;
  desk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((device) =>
      device.id === 'pad-1'
        ? ({
            ...device,
            transport: { type: 'tcp', host: '127.0.0.1', port },
            inventoryIntervalMs: 50,
          } as CarrelConfig['devices'][number])
        : device,
    ),
  }));
  await waitForDevice(desk.api, 'ils', 'online');
  await waitForDevice(desk.api, 'pad-1', 'online');
  socket = new WebSocket(`${desk.api.replace('http', 'ws')}/api/v1/events`);
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    if (message.event === 'device.event' && message.data.device === 'pad-1')
      wsEvents.push({ type: message.data.type, uid: message.data.data.uid });
  });
  await new Promise((resolve) => socket.once('open', resolve));
  client = await mqtt.connectAsync(desk.desk.urls().mqtt!, { protocolVersion: 4, reconnectPeriod: 0 });
  client.on('message', (topic, payload) => {
    const event = JSON.parse(String(payload));
    mqttEvents.push({ type: topic.slice(topic.lastIndexOf('/') + 1), uid: event.data.uid });
  });
  await client.subscribeAsync(`${BASE}/devices/pad-1/events/#`);
}, 30_000);

afterAll(async () => {
  socket?.close();
  await client?.endAsync();
  await desk?.stop();
  await sim?.close();
});

/** An ISO 28560-3 item tag as it lies on the pad (secured unless said). */
function itemTag(item: string, afi = SECURED): TagSpec {
  const memory = encodeIso28560Part3({
    primaryItemId: item,
    typeOfUsage: 'circulating',
    ownerLibrary: 'SE-RPL',
  });
  return { memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e, afi };
}

const sessionView = async (id: string) => (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
const itemsOf = (view: SessionView) => Object.fromEntries(view.items.map((item) => [item.item, item.state]));

/** A checkout session at the pad for the patron, items checked out only when asked (auto off). */
async function openCheckout(): Promise<SessionView> {
  const opened = await call('POST', '/api/v1/sessions', {
    mode: 'checkout',
    pad: 'pad-1',
    patron: PATRON,
    pin: '9999',
    auto: false,
  });
  expect(opened.status).toBe(201);
  return opened.body as SessionView;
}

describe('the self-check pad’s reader lost for a moment', () => {
  it('keeps the items lying on the pad in the session, says only what changed once it is back, and checks out nothing twice', async () => {
    const session = await openCheckout();
    // Waiting on the pad: 31000025 (stays), 31000026 (taken away while the reader is lost);
    // 31000029 checked out already and left lying there.
    const staying = sim.place({ ...itemTag('31000025') }).uid;
    const taken = sim.place({ ...itemTag('31000026') }).uid;
    const loaned = sim.place({ ...itemTag('31000029') }).uid;
    await until(async () =>
      Object.keys(itemsOf(await sessionView(session.id))).length === 3 ? true : undefined,
    );
    const out = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000029' });
    expect(out.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
    expect(sim.field.tag(loaned)?.afi).toBe(UNSECURED);
    const before = itemsOf(await sessionView(session.id));
    expect(before).toEqual({ '31000025': 'on_pad', '31000026': 'on_pad', '31000029': 'checked_out' });
    await until(() => mqttEvents.find((e) => e.type === 'rfid.security_set' && e.uid === loaned));
    const heardBefore = { ws: wsEvents.length, mqtt: mqttEvents.length };

    await sim.close(); // the reader's link lost
    await waitForDevice(desk.api, 'pad-1', 'offline');
    // The pad's tags are not known now: said in words, not answered as the last seen.
    const tags = await call('GET', '/api/v1/rfid/pad-1/tags');
    expect(tags.status).toBe(503);
    expect(tags.body).toMatchObject({
      code: 'unavailable',
      detail: expect.stringMatching(
        /RFID reader "pad-1" is not connected \(.+\): what lies on its pad is not known until the reader answers again/,
      ),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(itemsOf(await sessionView(session.id))).toEqual(before);
    expect(wsEvents.slice(heardBefore.ws)).toEqual([]);

    // Back: 31000026 was taken away meanwhile, the others lie there as they did.
    sim = await startRfidPadSimulator({
      protocol: 'feig',
      tcpPort: port,
      tags: [
        { uid: staying, ...itemTag('31000025') },
        { uid: loaned, ...itemTag('31000029', UNSECURED) },
      ],
    });
    await waitForDevice(desk.api, 'pad-1', 'online');
    await until(async () => ('31000026' in itemsOf(await sessionView(session.id)) ? undefined : true));
    const rounds = async () => (await call('GET', '/api/v1/devices/pad-1')).body.detail.rounds as number;
    const backAt = await rounds();
    await until(async () => ((await rounds()) >= backAt + 5 ? true : undefined));
    expect(itemsOf(await sessionView(session.id))).toEqual({
      '31000025': 'on_pad',
      '31000029': 'checked_out',
    });
    const tagsBack = await call('GET', '/api/v1/rfid/pad-1/tags');
    expect(tagsBack.body.tags.map((t: { uid: string }) => t.uid).sort()).toEqual([staying, loaned].sort());
    // What was heard, by the kiosk's WebSocket and over MQTT: the item taken away, once.
    expect(wsEvents.slice(heardBefore.ws)).toEqual([{ type: 'rfid.tag_left', uid: taken }]);
    await until(() => (mqttEvents.length > heardBefore.mqtt ? true : undefined));
    expect(mqttEvents.slice(heardBefore.mqtt)).toEqual([{ type: 'rfid.tag_left', uid: taken }]);

    // The item still waiting is checked out as asked; the one out already is not again.
    const second = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000025' });
    expect(second.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
    expect(sim.field.tag(staying)?.afi).toBe(UNSECURED);
    const ils = desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const loans = ils.state.loansOf(PATRON).filter((loan) => ['31000025', '31000029'].includes(loan.item));
    expect(loans.map((loan) => [loan.item, loan.renewals]).sort()).toEqual([
      ['31000025', 0],
      ['31000029', 0],
    ]);
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.data.loans.map((loan: { barcode: string }) => loan.barcode).sort()).toEqual([
      '31000025',
      '31000029',
    ]);
    for (const item of ['31000025', '31000029']) await call('POST', '/api/v1/checkins', { item });
  });

  it('reads a tag lying there again once the reader is back: reprogrammed meanwhile as another item, the session drops the item it was and takes the one it is', async () => {
    // The pad cleared of the test before's items, and the pad's reader has seen it so.
    for (const tag of sim.tags()) sim.remove(String(tag.uid));
    await until(async () =>
      (await call('GET', '/api/v1/rfid/pad-1/tags')).body.tags.length === 0 ? true : undefined,
    );
    const session = await openCheckout();
    const uid = sim.place({ ...itemTag('31000027') }).uid;
    await until(async () => ('31000027' in itemsOf(await sessionView(session.id)) ? true : undefined));
    const heardBefore = wsEvents.length;

    await sim.close(); // the reader's link lost; meanwhile the tag is programmed as 31000028 elsewhere
    await waitForDevice(desk.api, 'pad-1', 'offline');
    sim = await startRfidPadSimulator({
      protocol: 'feig',
      tcpPort: port,
      tags: [{ uid, ...itemTag('31000028') }],
    });
    await waitForDevice(desk.api, 'pad-1', 'online');
    await until(
      async () => ('31000028' in itemsOf(await sessionView(session.id)) ? true : undefined),
      10_000,
      'the session never took 31000028, the item the tag holds now',
    );
    expect(itemsOf(await sessionView(session.id))).toEqual({ '31000028': 'on_pad' });
    const tags = await call('GET', '/api/v1/rfid/pad-1/tags');
    expect(
      tags.body.tags.map((t: { uid: string; item: { primaryItemId: string } }) => [
        t.uid,
        t.item.primaryItemId,
      ]),
    ).toEqual([[uid, '31000028']]);
    // Heard as a tag taken off and put down again: left, then arrived.
    expect(wsEvents.slice(heardBefore)).toEqual([
      { type: 'rfid.tag_left', uid },
      { type: 'rfid.tag_arrived', uid },
    ]);
    const ils = desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    expect(ils.state.loansOf(PATRON).filter((loan) => ['31000027', '31000028'].includes(loan.item))).toEqual(
      [],
    );
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'data' });
    expect(ended.status).toBe(200);
  });
});
