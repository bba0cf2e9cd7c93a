import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { RfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { silentLogger } from '../../src/core/logger.js';
import { decodeTag, encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { until } from '../helpers/until.js';

/**
 * The RFID pad of the simulated desk, end to end: the pad simulator speaks FEIG over
 * TCP to the reader driver, the gateway publishes its events on the WebSocket and
 * MQTT, and the HTTP API lists, secures and programs tags.
 */
const BASE = 'carrel/library/desk-1';
const PATRON_ID = '23000000012345';
const PROGRAMMED_PATRON_ID = '23000000067890';

let desk: Desk;
let api: string;
let stateDir: string;
let ws: WebSocket;
let client: MqttClient;
const wsEvents: Array<{ type: string; data: Record<string, unknown> }> = [];
const wsRaw: string[] = [];
const mqttMessages: Array<{ topic: string; payload: string }> = [];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'carrel-e2e-rfid-'));
  const base = defaultDeskConfig();
  const config: CarrelConfig = {
    ...base,
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
    storage: { ...base.storage, path: join(stateDir, 'carrel.db') },
  };
  desk = await createDesk({ config, logger: silentLogger(), version: 'test' });
  await desk.start();
  api = desk.urls().api!.replace(/\/api\/v1$/, '');

  ws = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events`);
  ws.on('message', (raw) => {
    wsRaw.push(String(raw));
    const message = JSON.parse(String(raw));
    if (message.event === 'device.event' && message.data.device === 'pad-1')
      wsEvents.push({ type: message.data.type, data: message.data.data });
  });
  await new Promise((resolve) => ws.once('open', resolve));

  client = await mqtt.connectAsync(desk.urls().mqtt!, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: 'kiosk-e2e',
  });
  client.on('message', (topic, payload) => mqttMessages.push({ topic, payload: String(payload) }));
  await client.subscribeAsync([`${BASE}/devices/pad-1/events/#`, `${BASE}/clients/kiosk-e2e/response/#`]);
  await until(async () => ((await fetch(`${api}/api/v1/rfid/pad-1/tags`)).status === 200 ? true : undefined));
});

afterAll(async () => {
  ws?.close();
  await client?.endAsync();
  await desk?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const pad = (): RfidPadSimulator => desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;

/** Waits for a pad event on the WebSocket (and returns its data). */
function wsEvent(type: string, uid: string) {
  return until(() => wsEvents.find((e) => e.type === `rfid.${type}` && e.data.uid === uid)?.data);
}

function mqttEvent(type: string, uid: string) {
  return until(() => {
    const found = mqttMessages.find(
      (m) =>
        m.topic === `${BASE}/devices/pad-1/events/rfid.${type}` && JSON.parse(m.payload).data.uid === uid,
    );
    return (
      found && (JSON.parse(found.payload) as { type: string; device: string; data: Record<string, unknown> })
    );
  });
}

interface TagJson {
  uid: string;
  item: Record<string, unknown> | null;
  secured: boolean | null;
  afi: number | null;
  dsfid: number | null;
}

async function tagsOnPad(): Promise<TagJson[]> {
  const response = await fetch(`${api}/api/v1/rfid/pad-1/tags`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { tags: TagJson[] }).tags;
}

function post(path: string, body: unknown) {
  return fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const security = (uid: string, secured: boolean) =>
  post(`/api/v1/rfid/pad-1/tags/${uid}/security`, { secured });

async function placeAndWait(spec: Parameters<RfidPadSimulator['place']>[0]): Promise<string> {
  const { uid } = pad().place(spec);
  await wsEvent('tag_arrived', uid);
  return uid;
}

describe('the RFID pad of the simulated desk', () => {
  it('lists the tags the desk starts with, and a placed tag decoded, announced on the WebSocket and MQTT', async () => {
    const start = await tagsOnPad();
    // Two of the sample library's items on the shelf (the simulated desk's pad-sim).
    expect(start.map((t) => t.item?.primaryItemId).sort()).toEqual(['31000026', '31000030']);

    const { uid } = pad().place({ preset: 'V1' });
    const arrived = await wsEvent('tag_arrived', uid);
    expect(arrived).toMatchObject({ uid, afi: 0x07, secured: true, item: { primaryItemId: '1000000056' } });
    const onMqtt = await mqttEvent('tag_arrived', uid);
    expect(onMqtt).toMatchObject({ device: 'pad-1', type: 'rfid.tag_arrived', data: { uid } });

    const listed = (await tagsOnPad()).find((t) => t.uid === uid);
    expect(listed).toEqual({
      uid,
      secured: true,
      afi: 0x07,
      // The simulated desk secures by the AFI: the pad does not read the EAS bit.
      eas: null,
      dsfid: 0x3e,
      item: {
        format: '28560-3',
        byteOrder: 'logical',
        primaryItemId: '1000000056',
        set: { part: 1, parts: 1 },
        typeOfUsage: 'circulating',
        ownerLibrary: 'DK718500',
        isil: 'DK-718500',
        crc: 'valid',
        warnings: [],
      },
    });

    pad().remove(uid);
    expect(await wsEvent('tag_left', uid)).toEqual({ uid, primaryItemId: '1000000056' });
    expect((await tagsOnPad()).some((t) => t.uid === uid)).toBe(false);
  });

  it('unsecures and secures an item, verified by the AFI the simulated tag holds', async () => {
    const uid = await placeAndWait({ preset: 'V1' });
    const unsecure = await security(uid, false);
    expect(unsecure.status).toBe(200);
    expect(await unsecure.json()).toEqual({ uid, secured: false, status: 'done' });
    expect(pad().field.tag(uid)!.afi).toBe(0xc2);
    expect((await tagsOnPad()).find((t) => t.uid === uid)).toMatchObject({ secured: false, afi: 0xc2 });

    const secure = await security(uid.toLowerCase(), true);
    expect(secure.status).toBe(200);
    expect(await secure.json()).toMatchObject({ secured: true, status: 'done' });
    expect(pad().field.tag(uid)!.afi).toBe(0x07);
    expect(wsEvents.filter((e) => e.type === 'rfid.security_set' && e.data.uid === uid)).toHaveLength(2);
    pad().remove(uid);
  });

  it('keeps a security write for a tag pulled away mid-write and finishes it when the tag is back', async () => {
    const uid = await placeAndWait({ preset: 'V1' });
    pad().setFaults({ leaveDuringWriteRate: 1 });
    try {
      const response = await security(uid, false);
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ uid, secured: false, status: 'pending' });
    } finally {
      pad().setFaults({ leaveDuringWriteRate: 0 });
    }
    expect(pad().field.tag(uid)!.afi).toBe(0x07);
    expect(await wsEvent('security_pending', uid)).toMatchObject({ secured: false });

    pad().move(uid, true);
    expect(await wsEvent('security_set', uid)).toMatchObject({ uid, secured: false });
    expect(pad().field.tag(uid)!.afi).toBe(0xc2);
    pad().remove(uid);
  });

  it('programs a blank tag and reads it back, in either data model', async () => {
    const uid = await placeAndWait({ preset: 'blank' });
    expect((await tagsOnPad()).find((t) => t.uid === uid)?.item).toMatchObject({
      format: 'blank',
      primaryItemId: '',
    });

    const response = await post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
      format: '28560-3',
      primaryItemId: '3000000001',
      isil: 'DK-718500',
      set: { part: 1, parts: 2 },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      uid,
      item: { format: '28560-3', primaryItemId: '3000000001', set: { part: 1, parts: 2 }, crc: 'valid' },
      // The data model's DSFID is written with its data (ISO 28560-3: 0x3E), and read back.
      dsfid: 0x3e,
    });
    expect(pad().field.tag(uid)!.dsfid).toBe(0x3e);
    const written = decodeTag(pad().field.tag(uid)!.memory);
    expect(written).toMatchObject({ ok: true, fields: { primaryItemId: '3000000001', isil: 'DK-718500' } });
    expect(await wsEvent('tag_programmed', uid)).toMatchObject({ item: { primaryItemId: '3000000001' } });
    // part 1 of 2 alone on the pad: the set is reported incomplete
    expect(
      ((await (await fetch(`${api}/api/v1/rfid/pad-1/tags`)).json()) as { incompleteSets: unknown[] })
        .incompleteSets,
    ).toEqual([
      { primaryItemId: '3000000001', ownerLibrary: 'DK718500', parts: 2, present: [1], missing: [2] },
    ]);

    const second = await placeAndWait({ preset: 'blank' });
    const part2 = await post(`/api/v1/rfid/pad-1/tags/${second}/program`, {
      format: '28560-2',
      primaryItemId: '3000000002',
      isil: 'US-InU-Mu',
      lock: true,
    });
    expect(part2.status).toBe(200);
    expect(await part2.json()).toMatchObject({
      item: { format: '28560-2', primaryItemId: '3000000002' },
      dsfid: 0x06,
    });
    expect(pad().field.tag(second)!.dsfid).toBe(0x06);
    expect((await tagsOnPad()).find((t) => t.uid === second)).toMatchObject({ dsfid: 0x06 });
    expect(pad().field.tag(second)!.lockedBlocks.size).toBeGreaterThan(0);
    expect(pad().field.tag(second)!.afiLocked).toBe(false);
    pad().remove(uid);
    pad().remove(second);
  });

  it('programs a barcode over 16 characters (ISO 28560-3 keeps it in its library extension block) and reads the tag back as that item', async () => {
    const uid = await placeAndWait({ preset: 'blank' });
    const barcode = 'SE-RPL/2026/000123456';
    const response = await post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
      format: '28560-3',
      primaryItemId: barcode,
      isil: 'SE-RPL',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      uid,
      item: { format: '28560-3', primaryItemId: barcode, isil: 'SE-RPL', crc: 'valid' },
    });
    // Taken off and laid down again: read afresh, it is the same item.
    pad().move(uid, false);
    await wsEvent('tag_left', uid);
    pad().move(uid, true);
    const again = await until(
      () => wsEvents.filter((e) => e.type === 'rfid.tag_arrived' && e.data.uid === uid)[1]?.data,
    );
    expect(again).toMatchObject({ item: { primaryItemId: barcode } });
    expect((await tagsOnPad()).find((t) => t.uid === uid)?.item).toMatchObject({ primaryItemId: barcode });
    pad().remove(uid);
  });

  it('says a locked tag is locked: programming it again is refused at once, and its security write fails, not waits', async () => {
    // A tag whose data blocks were locked when it was programmed: a real tag answers a write
    // with ISO 15693 error 0x12 (block locked), which says nothing of the tag leaving.
    const uid = await placeAndWait({ preset: 'blank' });
    const first = await post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
      format: '28560-3',
      primaryItemId: '3000000011',
      isil: 'DK-718500',
      lock: true,
    });
    expect(first.status).toBe(200);
    const again = await post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
      format: '28560-3',
      primaryItemId: '3000000012',
      isil: 'DK-718500',
    });
    expect(again.status).toBe(409);
    const problem = (await again.json()) as { code: string; detail: string };
    expect(problem.code).toBe('rfid_write_failed');
    expect(problem.detail).toMatch(/locked/);
    expect(problem.detail).not.toMatch(/taken off/);
    pad().remove(uid);

    // An item whose AFI was locked (by a careless conversion): its security cannot change.
    const afiLocked = pad().place({ preset: 'V1' });
    afiLocked.afiLocked = true;
    await wsEvent('tag_arrived', afiLocked.uid);
    const secure = await security(afiLocked.uid, false);
    expect(secure.status).toBe(409);
    expect(await secure.json()).toMatchObject({ code: 'rfid_security_failed' });
    expect(await wsEvent('security_failed', afiLocked.uid)).toMatchObject({ secured: false, attempts: 1 });
    expect(wsEvents.some((e) => e.type === 'rfid.security_pending' && e.data.uid === afiLocked.uid)).toBe(
      false,
    );
    pad().remove(afiLocked.uid);
  });

  it('says in words why a tag could not be secured or written, what to do, and keeps the code in its own field', async () => {
    /** The problem a failed request answers: its stable code, and words for the desk with no code in them. */
    const problemOf = async (response: Response, code: string) => {
      expect(response.status).toBe(409);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe(code);
      expect(problem.detail).not.toMatch(/\b(rfid|feig|threem)_[a-z_]+/);
      return problem.detail;
    };
    // The reader's every reply garbled on the line (a bad cable): the write is tried again, in vain.
    const uid = await placeAndWait({ preset: 'V1' });
    pad().setFaults({ crcErrorRate: 1 });
    try {
      expect(await problemOf(await security(uid, false), 'rfid_security_failed')).toMatch(
        /reply came garbled.*try again.*cable/,
      );
      const program = post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
        format: '28560-3',
        primaryItemId: '3000000031',
      });
      // Its replies garbled and the tag not read back either: it may hold the new data, so not "failed".
      expect(await problemOf(await program, 'rfid_write_unknown')).toMatch(
        /replies to the write came garbled.*not known: place the tag on the pad again.*cable/,
      );
    } finally {
      pad().setFaults({ crcErrorRate: 0 });
    }
    pad().remove(uid);

    // An item whose AFI was locked on the tag: its security cannot be changed at the desk.
    const afiLocked = pad().place({ preset: 'V1' });
    afiLocked.afiLocked = true;
    await wsEvent('tag_arrived', afiLocked.uid);
    expect(await problemOf(await security(afiLocked.uid, false), 'rfid_security_failed')).toMatch(
      /locked on the tag/,
    );
    pad().remove(afiLocked.uid);
  });

  it('shows a tag put back on the pad as it is now: a programming cut off mid-write, security changed elsewhere', async () => {
    /** The next `type` event for this tag after the events seen so far. */
    const next = (type: string) => {
      const seen = wsEvents.length;
      return () =>
        until(() => wsEvents.slice(seen).find((e) => e.type === `rfid.${type}` && e.data.uid === uid)?.data);
    };
    const uid = await placeAndWait({ preset: 'V1' });
    const left = next('tag_left');
    pad().setFaults({ leaveDuringWriteRate: 1 });
    try {
      const cut = await post(`/api/v1/rfid/pad-1/tags/${uid}/program`, {
        format: '28560-3',
        primaryItemId: '3000000021',
        isil: 'SE-RPL',
      });
      expect(cut.status).toBe(409);
    } finally {
      pad().setFaults({ leaveDuringWriteRate: 0 });
    }
    await left();
    const holds = decodeTag(pad().field.tag(uid)!.memory);
    expect(holds).toMatchObject({ ok: true });
    const heldId = (holds as { fields: { primaryItemId: string } }).fields.primaryItemId;
    expect(heldId).not.toBe('1000000056');

    // put back: the desk sees what the tag holds, not what it held before the write
    const back = next('tag_arrived');
    pad().move(uid, true);
    expect(await back()).toMatchObject({ item: { primaryItemId: heldId } });
    expect((await tagsOnPad()).find((t) => t.uid === uid)?.item).toMatchObject({ primaryItemId: heldId });

    // unsecured at another station (a self-check) while away: shown unsecured when it is back
    const leftAgain = next('tag_left');
    pad().remove(uid);
    await leftAgain();
    pad().field.tag(uid)!.afi = 0xc2;
    const backAgain = next('tag_arrived');
    pad().move(uid, true);
    expect(await backAgain()).toMatchObject({ afi: 0xc2, secured: false });
    expect((await tagsOnPad()).find((t) => t.uid === uid)).toMatchObject({ afi: 0xc2, secured: false });
    const gone = next('tag_left');
    pad().remove(uid);
    await gone();
  });

  it('never puts a patron card id in a WebSocket or MQTT event, while the API shows it to the desk', async () => {
    const card = encodeIso28560Part3({
      primaryItemId: PATRON_ID,
      typeOfUsage: 'patron-card',
      ownerLibrary: 'DK-718500',
    });
    const uid = await placeAndWait({ memoryHex: Buffer.from(card).toString('hex'), dsfid: 0x3e });
    const arrived = await wsEvent('tag_arrived', uid);
    expect(arrived.item).toEqual({ format: '28560-3', typeOfUsage: 'patron-card', isil: 'DK-718500' });
    expect((await mqttEvent('tag_arrived', uid)).data.item).toEqual(arrived.item);
    expect((await tagsOnPad()).find((t) => t.uid === uid)?.item).toMatchObject({
      primaryItemId: PATRON_ID,
      typeOfUsage: 'patron-card',
    });

    // MQTT answers go to the asking client only, and carry no patron id either
    client.publish(
      `${BASE}/clients/kiosk-e2e/request/rfid.tags`,
      JSON.stringify({ transaction: 't-1', data: { reader: 'pad-1' } }),
    );
    const response = await until(() =>
      mqttMessages.find(
        (m) => m.topic === `${BASE}/clients/kiosk-e2e/response/rfid.tags` && m.payload.includes('"t-1"'),
      ),
    );
    const listed = JSON.parse(response.payload).data.tags.find((t: TagJson) => t.uid === uid);
    expect(listed.item).toEqual({ format: '28560-3', typeOfUsage: 'patron-card', isil: 'DK-718500' });

    pad().remove(uid);
    expect(await wsEvent('tag_left', uid)).toEqual({ uid, primaryItemId: null, typeOfUsage: 'patron-card' });
    await mqttEvent('tag_left', uid);

    // a card issued at the desk: programmed as a patron card, announced without the id
    const blank = await placeAndWait({ preset: 'blank' });
    const issued = await post(`/api/v1/rfid/pad-1/tags/${blank}/program`, {
      format: '28560-2',
      primaryItemId: PROGRAMMED_PATRON_ID,
      typeOfUsage: 'patron-card',
    });
    expect(issued.status).toBe(200);
    expect(((await issued.json()) as TagJson).item).toMatchObject({ primaryItemId: PROGRAMMED_PATRON_ID });
    expect((await wsEvent('tag_programmed', blank)).item).toMatchObject({ typeOfUsage: 'patron-card' });
    await mqttEvent('tag_programmed', blank);
    pad().remove(blank);
    await wsEvent('tag_left', blank);
    await mqttEvent('tag_left', blank);

    const everything = [...wsRaw, ...mqttMessages.map((m) => m.payload)].join('\n');
    expect(everything).toContain(uid);
    expect(everything).not.toContain(PATRON_ID);
    expect(everything).not.toContain(PROGRAMMED_PATRON_ID);
  });

  it('answers problems: unknown reader 404, not a reader 409, bad uid or body 400, tag not on the pad 404', async () => {
    const unknown = await fetch(`${api}/api/v1/rfid/nope/tags`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'device_not_found' });
    expect((await fetch(`${api}/api/v1/rfid/receipt-1/tags`)).status).toBe(409);

    const badUid = await security('E00401XYZ', true);
    expect(badUid.status).toBe(400);
    expect(((await badUid.json()) as { errors: Array<{ path: string }> }).errors[0]!.path).toBe('path.uid');
    const notE0 = await security('A004010000000001', true);
    expect(notE0.status).toBe(400);

    const [onPad] = await tagsOnPad();
    const badBody = await post(`/api/v1/rfid/pad-1/tags/${onPad!.uid}/security`, { secured: 'yes' });
    expect(badBody.status).toBe(400);
    const badProgram = await post(`/api/v1/rfid/pad-1/tags/${onPad!.uid}/program`, {
      format: '28560-9',
      primaryItemId: '1',
    });
    expect(badProgram.status).toBe(400);

    const absent = await security('E0040100FFFFFFFF', true);
    expect(absent.status).toBe(404);
    expect(await absent.json()).toMatchObject({ code: 'rfid_tag_not_found' });
    const absentProgram = await post('/api/v1/rfid/pad-1/tags/E0040100FFFFFFFF/program', {
      format: '28560-3',
      primaryItemId: '1',
    });
    expect(absentProgram.status).toBe(404);

    // a value the data model cannot carry: the ISIL has room for 13 bytes in ISO 28560-3
    const blank = await placeAndWait({ preset: 'blank' });
    const tooLong = await post(`/api/v1/rfid/pad-1/tags/${blank}/program`, {
      format: '28560-3',
      primaryItemId: '1',
      isil: 'DK-1234567890123',
    });
    expect(tooLong.status).toBe(422);
    expect(await tooLong.json()).toMatchObject({ code: 'rfid_value_too_long' });
    pad().remove(blank);

    // A barcode over 16 characters on a 32-byte tag: no room for the block that would hold it.
    const small = await placeAndWait({ preset: 'blank', blockCount: 8 });
    const longOnSmall = await post(`/api/v1/rfid/pad-1/tags/${small}/program`, {
      format: '28560-3',
      primaryItemId: '12345678901234567890',
    });
    expect(longOnSmall.status).toBe(422);
    expect(await longOnSmall.json()).toMatchObject({
      code: 'rfid_value_too_long',
      detail: expect.stringMatching(
        /over 16 characters.*32 bytes.*use a tag with more memory, or ISO 28560-2/,
      ),
    });
    pad().remove(small);
  });
});
