import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { decodePng, encodePng } from '../../src/core/png.js';
import { hasValidMod10 } from '../../src/protocols/library-card/card-number.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { sampleLibraryDatesDaysAgo } from '../helpers/library-date.js';

/**
 * Issuing library cards on the default desk: the simulated ILS's patrons, the simulated Evolis
 * printer over TCP. The card the printer made is the preview, pixel for pixel; its stripe reads back
 * the card number; a card that fails its stripe goes to the reject box and the next card is made;
 * a printer that cannot make a card gives a failed issue, never a counted one.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'cards-1', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

const sim = () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!;

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

async function upload(bytes: Uint8Array, type = 'image/png') {
  const response = await fetch(`${api}/api/v1/cards/photos`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: bytes,
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

/** A portrait photo: a face-coloured oval on blue, 300 × 400. */
function photo(): Buffer {
  const width = 300;
  const height = 400;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = ((x - 150) / 100) ** 2 + ((y - 180) / 130) ** 2 < 1;
      rgba.set(inside ? [230, 190, 160, 255] : [60, 110, 200, 255], (y * width + x) * 4);
    }
  return encodePng(rgba, width, height);
}

describe('issuing library cards on the simulated desk', () => {
  it('prints the card its preview showed, with the card number on the stripe, and records it', async () => {
    const uploaded = await upload(photo());
    expect(uploaded.status).toBe(201);
    expect(uploaded.json).toMatchObject({ width: 300, height: 400 });
    const request = { patron: '21000001', photoId: uploaded.json.photoId, number: 'patron' };
    const preview = await fetch(`${api}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('image/png');
    const previewPng = decodePng(new Uint8Array(await preview.arrayBuffer()));
    expect([previewPng.width, previewPng.height]).toEqual([1016, 648]);

    const before = sim().cards().length;
    const issued = await call('POST', '/cards', request);
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({
      result: 'issued',
      cardNumber: '21000001',
      patron: '21000001',
      attempts: 1,
      magstripe: 'verified',
    });
    const cards = sim().cards();
    expect(cards).toHaveLength(before + 1);
    const card = cards.at(-1)!;
    expect(card).toMatchObject({ outcome: 'printed', tracks: { 2: '21000001' } });
    expect(card.sides).toEqual({ front: ['y', 'm', 'c', 'k', 'o'], back: ['k'] });
    const printed = decodePng(sim().cardPng(card.number, 'front')!);
    expect(Buffer.from(printed.rgba).equals(Buffer.from(previewPng.rgba))).toBe(true);

    const listed = await call('GET', '/cards?limit=5');
    expect(listed.json.issues[0]).toMatchObject({ issueId: issued.json.issueId, result: 'issued' });
  });

  it('sends a card whose stripe does not read back to the reject box and makes the next one', async () => {
    sim().model.faults.magstripeWriteErrors = 1;
    const before = sim().cards().length;
    const issued = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    expect(issued.json).toMatchObject({ result: 'issued', attempts: 2 });
    expect(
      sim()
        .cards()
        .slice(before)
        .map((c) => c.outcome),
    ).toEqual(['rejected', 'printed']);
  });

  it('allocates numbers from the range with their check digit, never the same twice', async () => {
    const first = await call('POST', '/cards', {
      patron: '21000001',
      number: 'allocate',
      replaces: '21000001',
    });
    const second = await call('POST', '/cards', { patron: '21000002', number: 'allocate' });
    expect(first.json.result).toBe('issued');
    expect(first.json.cardNumber).toMatch(/^21234\d{9}$/);
    expect(hasValidMod10(first.json.cardNumber)).toBe(true);
    expect(second.json.cardNumber).not.toBe(first.json.cardNumber);
    expect(sim().cards().at(-1)!.tracks[2]).toBe(second.json.cardNumber);
  });

  it('records a card the printer could not make as failed, and counts only issued cards', async () => {
    sim().model.feeder = 0;
    const failed = await call('POST', '/cards', { patron: '21000001', number: 'patron' });
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'no_card' });
    await waitForDevice(api, 'cards-1', 'degraded', 5000);
    sim().model.feeder = 50;
    await waitForDevice(api, 'cards-1', 'online', 5000);
    const stats = await call('GET', '/cards/stats');
    expect(stats.json.days[0]).toMatchObject({ issued: 4, failed: 1 });
    // The same issues in the desk's statistics: the reprint (it replaced a card) apart, no patron.
    const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    const measured = await call(
      'GET',
      `/stats/measures?${range}&measure=cards.issued,cards.failed&period=total&groupBy=reprint`,
    );
    expect(measured.json.rows).toEqual([
      { measure: 'cards.failed', dims: { reprint: '' }, value: 1 },
      { measure: 'cards.issued', dims: { reprint: 'no' }, value: 3 },
      { measure: 'cards.issued', dims: { reprint: 'yes' }, value: 1 },
    ]);
    expect(JSON.stringify(measured.json)).not.toMatch(/2100000\d/);
  });

  it('encodes an issued card’s chip on its encoding pad as an ISO 28560 patron card, read back', async () => {
    const pad = testDesk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    const latest = await call('GET', '/cards?limit=5');
    const issued = latest.json.issues.find((i: { result: string }) => i.result === 'issued');
    const issueId = issued.issueId;
    pad.place({ preset: 'blank' });
    await expect
      .poll(async () => (await call('GET', '/rfid/card-pad/tags')).json.tags?.length, { timeout: 5000 })
      .toBe(2);
    const crowded = await call('POST', `/cards/${issueId}/rfid`);
    expect(crowded).toMatchObject({ status: 409, json: { code: 'rfid_card_not_alone' } });
    for (const tag of pad.tags()) pad.remove(String(tag.uid));
    await expect
      .poll(async () => (await call('GET', '/rfid/card-pad/tags')).json.tags?.length, { timeout: 5000 })
      .toBe(0);
    expect((await call('POST', `/cards/${issueId}/rfid`)).json.code).toBe('rfid_no_card');
    // A blank some suppliers ship set as a library item on the shelf (AFI 0x07).
    pad.place({ preset: 'blank', afi: 0x07 });
    await expect
      .poll(async () => (await call('GET', '/rfid/card-pad/tags')).json.tags?.length, { timeout: 5000 })
      .toBe(1);
    const uid = (await call('GET', '/rfid/card-pad/tags')).json.tags[0].uid;
    const encoded = await call('POST', `/cards/${issueId}/rfid`);
    expect(encoded.status).toBe(200);
    expect(encoded.json).toMatchObject({ issueId, rfidUid: uid });
    const read = await call('GET', '/rfid/card-pad/tags');
    expect(read.json.tags[0].item).toMatchObject({
      primaryItemId: issued.cardNumber,
      typeOfUsage: 'patron-card',
    });
    // That blank chip came set as a library item on the shelf (AFI 0x07): a patron's
    // card must never be a secured item, which the gates alarm on — it is encoded unsecured.
    expect(read.json.tags[0]).toMatchObject({ secured: false, afi: 0xc2 });
    expect(pad.field.tag(uid)!.afi).toBe(0xc2);
  });

  it('shows a low ribbon and cleaning due in the printer’s health, its retained MQTT state and events', async () => {
    const events: string[] = [];
    const listener = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
    listener.on('message', (topic) => events.push(topic.split('/').at(-1)!));
    await listener.subscribeAsync('carrel/library/desk-1/devices/cards-1/events/#');
    const retainedDetail = async () => {
      // What a monitoring client that connects now reads: the retained state.
      const client = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
      const retained: Array<{ detail: Record<string, unknown> }> = [];
      client.on('message', (_topic, payload) => retained.push(JSON.parse(String(payload))));
      await client.subscribeAsync('carrel/library/desk-1/devices/cards-1/state');
      await expect.poll(() => retained.length, { timeout: 5000 }).toBeGreaterThan(0);
      await client.endAsync();
      return retained.at(-1)!.detail;
    };
    sim().model.ribbonPanels = 12;
    await expect.poll(() => events, { timeout: 5000 }).toContain('card.ribbon_low');
    expect(await retainedDetail()).toMatchObject({
      ribbon: { low: true, panelsLeft: 12 },
      cleaningDue: false,
    });
    sim().model.cardsSinceCleaning = sim().model.cleaningInterval;
    await expect.poll(() => events, { timeout: 5000 }).toContain('card.cleaning_due');
    expect(await retainedDetail()).toMatchObject({ cleaningDue: true });
    const device = await call('GET', '/devices/cards-1');
    expect(device.json).toMatchObject({
      status: 'online',
      detail: { cleaningDue: true, ribbon: { low: true } },
    });
    await listener.endAsync();
    sim().model.ribbonPanels = 1000;
    sim().model.clean();
  });

  it('takes a photo whatever type it was sent as, text/plain (fetch without a type) too', async () => {
    const uploaded = await upload(photo(), 'text/plain;charset=UTF-8');
    expect(uploaded.status).toBe(201);
  });

  it('refuses what is not a photo, a decompression bomb, an unknown patron and an unknown template', async () => {
    expect((await upload(Buffer.from('not an image at all'))).json).toMatchObject({
      type: expect.stringContaining('photo_not_an_image'),
    });
    const bomb = Buffer.from(photo());
    bomb.writeUInt32BE(60_000, 16); // IHDR width
    bomb.writeUInt32BE(60_000, 20); // IHDR height
    const refused = await upload(bomb);
    expect(refused.status).toBe(413);
    const unknown = await call('POST', '/cards', { patron: '29999999', number: 'patron' });
    expect(unknown.status).toBe(404);
    const template = await call('POST', '/cards', { patron: '21000001', number: 'patron', template: 'nope' });
    expect(template.status).toBe(404);
    expect(
      sim()
        .cards()
        .filter((c) => c.outcome === 'printed'),
    ).toHaveLength(4);
  });

  it('refuses a photo cut short or damaged, in words, rather than print the card without it', async () => {
    const whole = photo();
    // An upload broken off halfway; the picture's compressed data garbled; a header saying 0 × 0.
    const cutShort = whole.subarray(0, whole.length / 2);
    const garbled = Buffer.from(whole);
    garbled.fill(0x55, 60, whole.length - 12);
    const empty = Buffer.from(whole);
    empty.writeUInt32BE(0, 16);
    empty.writeUInt32BE(0, 20);
    for (const bytes of [cutShort, garbled, empty]) {
      const refused = await upload(bytes);
      expect(refused.status).toBe(422);
      expect(refused.json).toMatchObject({
        code: 'photo_unreadable',
        title: 'The photo cannot be read',
        detail: expect.stringMatching(/damaged or cut short.*choose the photo again or take a new one/),
      });
      expect(refused.json.photoId).toBeUndefined();
    }
    // The photo whole is taken, as before.
    expect((await upload(whole)).status).toBe(201);
  });

  it('prints only a date as the expiry, YYYY-MM-DD as the ILS’s, and says so in words and in its OpenAPI entry', async () => {
    const printed = sim().cards().length;
    const issues = (await call('GET', '/cards')).json.issues.length;
    const form = 'give the expiry as a date, YYYY-MM-DD (2027-06-30), as the card prints the ILS’s';
    for (const expiry of ['garbage', '2027-02-30', '30.06.2027', '2027-06-30T00:00:00Z', '']) {
      const refused = await call('POST', '/cards', { patron: '21000001', number: 'patron', expiry });
      expect(refused.status, expiry).toBe(400);
      expect(refused.json.code).toBe('invalid_request');
      expect(refused.json.errors).toEqual([{ path: 'body.expiry', message: form }]);
      const preview = await call('POST', '/cards/preview', { patron: '21000001', expiry });
      expect(preview.status, expiry).toBe(400);
      expect(preview.json.detail).toBe(`expiry: ${form}`);
    }
    expect(sim().cards()).toHaveLength(printed);
    expect((await call('GET', '/cards')).json.issues).toHaveLength(issues);

    const given = await call('POST', '/cards', {
      patron: '21000002',
      number: 'patron',
      expiry: '2028-02-29',
    });
    expect(given.json).toMatchObject({ result: 'issued' });
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read field by field
    const doc = (await (await fetch(`${api}/docs/openapi.json`)).json()) as any;
    const field =
      doc.paths['/api/v1/cards'].post.requestBody.content['application/json'].schema.properties.expiry;
    expect(field.description).toMatch(/instead of the ILS’s/);
    expect(field.format).toBe('date');
  });

  it('refuses a card for a patron whose registration has expired (SIP2 PA) unless staff confirm, saying when it expired', async () => {
    const printed = sim().cards().length;
    const issues = (await call('GET', '/cards')).json.issues.length;
    // The sample library's 21000004 expired 30 days before the simulator started.
    const refused = await call('POST', '/cards', { patron: '21000004', number: 'patron' });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      code: 'patron_expired',
      title: 'The patron’s registration has expired',
    });
    const [, expired] =
      /^it ended on (\d{4}-\d{2}-\d{2}), the ILS’s expiry date: renew it in the library system first, or confirm/.exec(
        refused.json.detail,
      )!;
    expect(sampleLibraryDatesDaysAgo(30)).toContain(expired);
    expect(sim().cards()).toHaveLength(printed);
    expect((await call('GET', '/cards')).json.issues).toHaveLength(issues);

    const confirmed = await call('POST', '/cards', {
      patron: '21000004',
      number: 'patron',
      confirmExpired: true,
    });
    expect(confirmed.json).toMatchObject({ result: 'issued', patron: '21000004' });
    expect(sim().cards()).toHaveLength(printed + 1);
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read field by field
    const doc = (await (await fetch(`${api}/docs/openapi.json`)).json()) as any;
    const field =
      doc.paths['/api/v1/cards'].post.requestBody.content['application/json'].schema.properties
        .confirmExpired;
    expect(field.description).toMatch(/409 patron_expired/);
  });

  it('says at the preview that the registration has expired, and when, so staff know before they print', async () => {
    const preview = async (patron: string) => {
      const response = await fetch(`${api}/api/v1/cards/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron, number: 'patron' }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      return response.headers.get('registration-expired');
    };
    const expired = await preview('21000004');
    expect(expired).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The date the refusal names, and the one the preview's card shows (30 days ago).
    const refused = await call('POST', '/cards', { patron: '21000004', number: 'patron' });
    expect(refused.json.detail).toContain(`it ended on ${expired},`);
    expect(sampleLibraryDatesDaysAgo(30)).toContain(expired);
    // A patron whose registration runs on: no such header.
    expect(await preview('21000001')).toBeNull();
  });

  it('describes in its OpenAPI document what the preview takes and answers, every header of its own among it', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read field by field
    const doc = (await (await fetch(`${api}/docs/openapi.json`)).json()) as any;
    const entry = doc.paths['/api/v1/cards/preview']?.post;
    expect(entry).toMatchObject({ operationId: 'previewCard', tags: ['cards'] });
    expect(Object.keys(entry.requestBody.content)).toEqual(['application/json']);
    expect(Object.keys(entry.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['patron', 'template', 'photoId', 'side']),
    );
    expect(Object.keys(entry.responses['200'].content)).toEqual(['image/png']);
    // The headers any answer of the desk carries, read from an operation's answer: the preview's
    // others are its own, and a kiosk developer must find each in the document.
    const ordinary = new Set([
      ...(await fetch(`${api}/api/v1/cards/stats`)).headers.keys(),
      'content-type',
      'content-length',
      'cache-control',
    ]);
    const answer = await fetch(`${api}/api/v1/cards/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000004', number: 'patron' }),
    });
    expect(answer.status).toBe(200);
    const own = [...answer.headers.keys()].filter((name) => !ordinary.has(name));
    expect(own).toEqual(['registration-expired']);
    const headers = entry.responses['200'].headers ?? {};
    expect(own.filter((name) => headers[name] === undefined)).toEqual([]);
    expect(headers['registration-expired'].description).toMatch(/YYYY-MM-DD/);
    expect(headers['registration-expired'].schema).toMatchObject({ type: 'string', format: 'date' });
    // The photo upload the preview and the card use: its body is the image itself.
    const photos = doc.paths['/api/v1/cards/photos']?.post;
    expect(Object.keys(photos.requestBody.content)).toEqual(
      expect.arrayContaining(['image/jpeg', 'image/png']),
    );
    expect(Object.keys(photos.responses)).toEqual(expect.arrayContaining(['201', '413', '415']));
    expect(photos.parameters).toEqual([
      expect.objectContaining({ name: 'printer', in: 'query', required: false }),
    ]);
  });

  it('takes no card for an issue the ribbon left cannot print: no half-printed card with the number on its stripe in the reject box', async () => {
    // A colour card with a black back takes six panels (y m c k o, k); three are left.
    sim().model.ribbonPanels = 3;
    const cards = sim().cards().length;
    const feeder = sim().model.feeder;
    const failed = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'ribbon_out', patron: '21000003' });
    // No card left the feeder: the patron's number was written on no stripe, no panel was spent.
    expect(sim().cards()).toHaveLength(cards);
    expect(sim().model.feeder).toBe(feeder);
    expect(sim().model.ribbonPanels).toBe(3);
    // The ribbon changed, the same card printed again is made once.
    sim().model.ribbonPanels = 1000;
    const issued = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(issued.json).toMatchObject({ result: 'issued', attempts: 1 });
    expect(
      sim()
        .cards()
        .slice(cards)
        .map((card) => [card.outcome, card.tracks[2]]),
    ).toEqual([['printed', '21000003']]);
  });
});
