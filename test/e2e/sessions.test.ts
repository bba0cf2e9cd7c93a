import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { RfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { SessionItemView, SessionUpdate, SessionView } from '../../src/gateway/sessions/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { type Json, jsonCaller, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Self-check sessions on the simulated desk, end to end: the sample library's ILS
 * over SIP2, the FEIG pad simulator over TCP, the receipt printer simulator. Items
 * are real ISO 28560-3 tags placed on the simulated pad; security is the tag's AFI
 * (0x07 secured, 0xC2 not) as the pad simulator holds it.
 */
const SECURED = 0x07;
const UNSECURED = 0xc2;

/**
 * The pads' pause between inventory rounds (200 ms by default): a tag taken off is gone after three
 * rounds without it, and every test ends with the pads cleared and waits to see them empty (~0.8 s
 * a test by default). The config allows 20 ms; 50 ms keeps a pad's rounds few on a loaded machine.
 */
const INVENTORY_MS = 50;

let desk: TestDesk;
let api: string;

const twoPads = (config: CarrelConfig): CarrelConfig => ({
  ...config,
  simulators: [
    ...config.simulators.map((s) => (s.kind === 'rfid-pad' ? { ...s, tags: [] } : s)),
    {
      id: 'pad-sim-2',
      kind: 'rfid-pad',
      host: '127.0.0.1',
      protocol: 'feig',
      port: 0,
      httpPort: 0,
      tags: [],
    },
  ],
  devices: [
    ...config.devices.map((device) =>
      device.kind === 'rfid-reader' ? { ...device, inventoryIntervalMs: INVENTORY_MS } : device,
    ),
    {
      id: 'pad-2',
      kind: 'rfid-reader',
      protocol: 'feig',
      transport: { type: 'simulator', simulator: 'pad-sim-2' },
      inventoryIntervalMs: INVENTORY_MS,
    } as CarrelConfig['devices'][number],
  ],
  sessions: { ...config.sessions, inactivityTimeoutSeconds: 10 },
});

beforeAll(async () => {
  desk = await startTestDesk(twoPads);
  api = desk.api;
  await waitForDevice(api, 'ils', 'online');
  await waitForDevice(api, 'pad-1', 'online');
  await waitForDevice(api, 'pad-2', 'online');
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

const padSim = (id = 'pad-sim'): RfidPadSimulator => desk.desk.simulators.handle(rfidPadSimulators, id)!;

afterEach(async () => {
  // Every test leaves the pads empty and no session open.
  for (const id of ['pad-sim', 'pad-sim-2'])
    for (const tag of padSim(id).tags()) padSim(id).remove(String(tag.uid));
  for (const reader of ['pad-1', 'pad-2'])
    await until(async () =>
      (await call('GET', `/api/v1/rfid/${reader}/tags`)).body.tags.length === 0 ? true : undefined,
    );
  const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: SessionView[] };
  for (const session of sessions)
    if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
});

const call = jsonCaller(() => api);

/** Places an ISO 28560-3 item tag (secured, as on the shelf) on a simulated pad; returns its UID. */
function placeItem(
  item: string,
  options: { pad?: string; set?: { part: number; parts: number }; secured?: boolean } = {},
): string {
  const memory = encodeIso28560Part3({
    primaryItemId: item,
    typeOfUsage: 'circulating',
    ownerLibrary: 'SE-RPL',
    ...(options.set ? { set: options.set } : {}),
  });
  return padSim(options.pad).place({
    memoryHex: Buffer.from(memory).toString('hex'),
    dsfid: 0x3e,
    afi: options.secured === false ? UNSECURED : SECURED,
  }).uid;
}

function placePatronCard(patron: string, pad?: string): string {
  const memory = encodeIso28560Part3({
    primaryItemId: patron,
    typeOfUsage: 'patron-card',
    ownerLibrary: 'SE-RPL',
  });
  return padSim(pad).place({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e }).uid;
}

const afiOf = (uid: string, pad?: string) => padSim(pad).field.tag(uid)?.afi;

/** The session's live updates, collected. */
async function watch(
  id: string,
): Promise<{ updates: SessionUpdate[]; socket: WebSocket; closed: Promise<void> }> {
  const socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/sessions/${id}/events`);
  const updates: SessionUpdate[] = [];
  socket.on('message', (raw) => updates.push(JSON.parse(String(raw))));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { updates, socket, closed };
}

/** Waits until the session's item reaches a state other than pending. */
function itemSettled(id: string, item: string, state?: SessionItemView['state']): Promise<SessionItemView> {
  return until(async () => {
    const found = ((await call('GET', `/api/v1/sessions/${id}`)).body as SessionView).items.find(
      (i) => i.item === item,
    );
    if (!found) return undefined;
    if (state ? found.state === state : found.state !== 'pending' && found.state !== 'on_pad') return found;
    return undefined;
  });
}

async function openCheckout(extra: Record<string, unknown> = {}): Promise<SessionView> {
  const opened = await call('POST', '/api/v1/sessions', {
    mode: 'checkout',
    pad: 'pad-1',
    patron: '21000009',
    pin: '9999',
    ...extra,
  });
  expect(opened.status).toBe(201);
  return opened.body as SessionView;
}

describe('opening a session', () => {
  it('greets the patron by name and never shows the barcode; a wrong PIN or unknown patron is refused', async () => {
    const session = await openCheckout();
    expect(session).toMatchObject({ mode: 'checkout', state: 'open', pad: 'pad-1', auto: true, items: [] });
    expect(session.patron?.name).toBeTruthy();
    // Its strings, not its numbers: a count-down of 119999 ms holds the PIN's digits by chance.
    const words = JSON.stringify(session, (_key, value) => (typeof value === 'number' ? null : value));
    expect(words).not.toContain('21000009');
    expect(words).not.toContain('9999');

    const wrongPin = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patron: '21000001',
      pin: '0000',
    });
    expect(wrongPin.status).toBe(422);
    expect(wrongPin.body.code).toBe('invalid_pin');
    const unknown = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patron: '29999999',
      pin: '1',
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('patron_not_found');
    const noPin = await call('POST', '/api/v1/sessions', { mode: 'checkout', patron: '21000001' });
    expect(noPin.status).toBe(422);
    expect(noPin.body.code).toBe('pin_required');
  });

  it('one pad, one session: a second session on the same pad is refused until the first ends', async () => {
    const first = await openCheckout();
    const second = await call('POST', '/api/v1/sessions', { mode: 'return', pad: 'pad-1' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('pad_in_use');
    await call('DELETE', `/api/v1/sessions/${first.id}`);
    expect((await call('POST', '/api/v1/sessions', { mode: 'return', pad: 'pad-1' })).status).toBe(201);
  });

  it('reads the patron from the patron card on the pad, and does not take the card for an item', async () => {
    placePatronCard('21000001');
    const card = await until(async () => {
      const { body } = await call('GET', '/api/v1/rfid/pad-1/tags');
      return body.tags.find((t: Json) => t.item?.typeOfUsage === 'patron-card');
    });
    expect(card).toBeTruthy();
    const opened = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      pad: 'pad-1',
      patronCard: true,
      pin: '1234',
    });
    expect(opened.status).toBe(201);
    expect(opened.body.patron.name).toBe('Zoë Åström');
    expect(opened.body.items).toEqual([]);

    await call('DELETE', `/api/v1/sessions/${opened.body.id}`);
    padSim().remove(card.uid);
    const none = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      pad: 'pad-2',
      patronCard: true,
      pin: '1234',
    });
    expect(none.status).toBe(422);
    expect(none.body.code).toBe('patron_card_not_found');
  });
});

describe('a checkout session', () => {
  it('checks out items as they are placed, clears security only after the ILS confirms, and shows it live', async () => {
    const session = await openCheckout();
    const live = await watch(session.id);
    const uid = placeItem('31000005');
    const done = await itemSettled(session.id, '31000005');
    expect(done).toMatchObject({ state: 'checked_out', security: 'cleared', title: 'Dune', tags: [uid] });
    expect(done.dueDate?.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(afiOf(uid)).toBe(UNSECURED);
    const itemUpdates = () =>
      live.updates.filter((u): u is Extract<SessionUpdate, { event: 'item' }> => u.event === 'item');
    await until(() => (itemUpdates().at(-1)?.data.state === 'checked_out' ? true : undefined));
    const states = itemUpdates().map((u) => u.data.state);
    expect(states[0]).toBe('pending');
    expect(states.at(-1)).toBe('checked_out');
    // One message a change: the item is said pending once, not twice over (a kiosk animating
    // each message, or counting them, would show it twice).
    expect(states.filter((state) => state === 'pending')).toHaveLength(1);
    live.socket.close();

    // The ILS agrees: the item is charged now.
    const info = await call('GET', '/api/v1/items/31000005');
    expect(info.body.item.status).toBe('charged');
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  });

  it('lists a tag it cannot read (another data model, a blank tag) while it lies there, and does nothing with it', async () => {
    const session = await openCheckout();
    const live = await watch(session.id);
    const foreign = padSim().place({ memoryHex: 'deadbeefcafebabe0123456789abcdef', afi: SECURED }).uid;
    const blank = padSim().place({ memoryHex: '00'.repeat(32), afi: SECURED }).uid;
    const listed = await until(async () => {
      const view = (await call('GET', `/api/v1/sessions/${session.id}`)).body as SessionView;
      return view.unreadableTags.length === 2 ? view : undefined;
    });
    expect(listed.unreadableTags).toEqual(
      expect.arrayContaining([
        { uid: foreign, reason: 'rfid_unknown_format' },
        { uid: blank, reason: 'rfid_no_item_id' },
      ]),
    );
    expect(listed.items).toEqual([]);
    // The kiosk hears it live, and the tags keep their security: neither lent nor touched.
    await until(() =>
      live.updates.some((u) => u.event === 'session' && u.data.unreadableTags.length === 2)
        ? true
        : undefined,
    );
    expect(afiOf(foreign)).toBe(SECURED);
    padSim().remove(foreign);
    padSim().remove(blank);
    await until(async () =>
      ((await call('GET', `/api/v1/sessions/${session.id}`)).body as SessionView).unreadableTags.length === 0
        ? true
        : undefined,
    );
    live.socket.close();
  });

  it('a refused item keeps its security, with the reason and the ILS words', async () => {
    const session = await openCheckout();
    // 31000009 waits on the hold shelf for 21000009 — so use 21000001 for a refusal: on hold for another.
    await call('DELETE', `/api/v1/sessions/${session.id}`);
    const other = await openCheckout({ patron: '21000001', pin: '1234' });
    const uid = placeItem('31000009');
    const refused = await itemSettled(other.id, '31000009');
    expect(refused.state).toBe('refused');
    expect(refused.reason).toBe('item_on_hold_for_another');
    expect(refused.screenMessages.length).toBeGreaterThan(0);
    expect(refused.title).toBe('The Name of the Rose');
    expect(afiOf(uid)).toBe(SECURED);
  });

  it('waits for every part of a multi-part item before checking it out', async () => {
    const session = await openCheckout();
    const first = placeItem('31000015', { set: { part: 1, parts: 3 } });
    const waiting = await itemSettled(session.id, '31000015', 'incomplete_set');
    expect(waiting.set).toEqual({ parts: 3, onPad: 1 });
    expect(afiOf(first)).toBe(SECURED);
    const others = [
      placeItem('31000015', { set: { part: 2, parts: 3 } }),
      placeItem('31000015', { set: { part: 3, parts: 3 } }),
    ];
    const done = await itemSettled(session.id, '31000015', 'checked_out');
    expect(done.set).toEqual({ parts: 3, onPad: 3 });
    for (const uid of [first, ...others]) expect(afiOf(uid)).toBe(UNSECURED);
    await call('POST', '/api/v1/checkins', { item: '31000015' });
  });

  it('says "put it back" when the tag left during the security write, and finishes when it is back', async () => {
    const session = await openCheckout();
    // The patron lifts the item just as the pad writes its AFI: the ILS has checked it out, the tag is still secured.
    padSim().setFaults({ leaveDuringWriteRate: 1 });
    const uid = placeItem('31000006');
    const failed = await itemSettled(session.id, '31000006', 'security_failed');
    expect(failed.security).toBe('failed');
    expect(afiOf(uid)).toBe(SECURED);
    expect((await call('GET', '/api/v1/items/31000006')).body.item.status).toBe('charged');
    padSim().setFaults({ leaveDuringWriteRate: 0 });
    padSim().move(uid, true);
    const done = await itemSettled(session.id, '31000006', 'checked_out');
    expect(done.security).toBe('cleared');
    expect(afiOf(uid)).toBe(UNSECURED);
    await call('POST', '/api/v1/checkins', { item: '31000006' });
  });

  it('a loan whose tag stayed secured is on the receipt, with a word to show it to staff', async () => {
    const session = await openCheckout();
    padSim().setFaults({ leaveDuringWriteRate: 1 });
    placeItem('31000006');
    await itemSettled(session.id, '31000006', 'security_failed');
    padSim().setFaults({ leaveDuringWriteRate: 0 });
    // The patron leaves it at that: the ILS lent it to her, so her receipt must say so.
    expect((await call('GET', '/api/v1/items/31000006')).body.item.status).toBe('charged');
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.data.loans).toEqual([
      {
        title: 'Beloved',
        barcode: '31000006',
        dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        note: 'Not released at the kiosk: please show it to staff',
      },
    ]);
    await call('POST', '/api/v1/checkins', { item: '31000006' });
  });

  it('one by one: items wait on the pad until the kiosk asks for them', async () => {
    const session = await openCheckout({ auto: false });
    const uid = placeItem('31000025');
    const waiting = await itemSettled(session.id, '31000025', 'on_pad');
    expect(waiting.tags).toEqual([uid]);
    expect(afiOf(uid)).toBe(SECURED);
    const answer = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000025' });
    expect(answer.body).toMatchObject({ state: 'checked_out', security: 'cleared' });
    expect(afiOf(uid)).toBe(UNSECURED);
    await call('POST', '/api/v1/checkins', { item: '31000025' });
  });

  it('asks for a fee to be accepted, then checks out with it (a magnetic-media item)', async () => {
    const session = await openCheckout();
    const asked = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000012' });
    expect(asked.body).toMatchObject({ state: 'fee_required', title: 'Casablanca', fee: { amount: '1.50' } });
    const accepted = await call('POST', `/api/v1/sessions/${session.id}/items`, {
      item: '31000012',
      feeAcknowledged: true,
    });
    // A video tape: the kiosk tells the patron to keep it away from a magnetic desensitizer.
    expect(accepted.body).toMatchObject({ state: 'checked_out', security: 'none', magneticMedia: true });
    expect(accepted.body.fee?.amount).toBeTruthy();
    await call('POST', '/api/v1/checkins', { item: '31000012' });
  });

  it('ends with a receipt as data and an end-session to the ILS; the session is then closed', async () => {
    const session = await openCheckout();
    placeItem('31000026');
    await itemSettled(session.id, '31000026', 'checked_out');
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'data' });
    expect(ended.status).toBe(200);
    expect(ended.body.ils).toMatchObject({ ended: true });
    expect(ended.body.receipt).toMatchObject({ kind: 'data', template: 'checkout' });
    expect(ended.body.receipt.data.loans).toEqual([
      { title: 'Sofies verden', barcode: '31000026', dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    ]);
    expect(JSON.stringify(ended.body)).not.toContain('21000009');
    const again = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000029' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('session_ended');
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  });

  it('prints the receipt on the desk printer', async () => {
    const session = await openCheckout();
    await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000029' });
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'print' });
    expect(ended.body.receipt).toMatchObject({ kind: 'printed', printer: 'receipt-1' });
    const job = ended.body.receipt.job.id as string;
    await until(async () => {
      const { body } = await call('GET', `/api/v1/printers/receipt-1/jobs/${job}`);
      return body.state === 'printed' ? true : undefined;
    });
    await call('POST', '/api/v1/checkins', { item: '31000029' });
  });
});

describe('a return session', () => {
  it('checks items in, sets their security again, and tells where they go', async () => {
    // Zoë has 31000001 on loan; its tag is unsecured as it left the library.
    const memory = encodeIso28560Part3({
      primaryItemId: '31000001',
      typeOfUsage: 'circulating',
      ownerLibrary: 'SE-RPL',
    });
    const session = (await call('POST', '/api/v1/sessions', { mode: 'return', pad: 'pad-1' }))
      .body as SessionView;
    expect(session.patron).toBeNull();
    const uid = padSim().place({
      memoryHex: Buffer.from(memory).toString('hex'),
      dsfid: 0x3e,
      afi: UNSECURED,
    }).uid;
    const back = await itemSettled(session.id, '31000001', 'checked_in');
    expect(back.security).toBe('set');
    expect(afiOf(uid)).toBe(SECURED);
    // An item another branch owns: an alert to send it there.
    placeItem('31000024');
    const elsewhere = await itemSettled(session.id, '31000024');
    expect(elsewhere).toMatchObject({
      state: 'checked_in',
      title: 'Moby-Dick',
      sortBin: 'TRANSIT',
      alert: { type: 'transit', message: 'Send to East Branch' },
    });
    // An item someone is waiting for: to the hold shelf.
    placeItem('31000008');
    const wanted = await itemSettled(session.id, '31000008');
    expect(wanted).toMatchObject({ state: 'checked_in', alert: { type: 'hold_in_transit' } });
    // An item that was never lent (the sample ILS answers ok 0, "not checked out", as strict ILSs
    // do): returned all the same, and secured, not refused.
    const shelfUid = placeItem('31000030', { secured: false });
    const onShelf = await itemSettled(session.id, '31000030');
    expect(onShelf).toMatchObject({ state: 'checked_in', security: 'set' });
    expect(afiOf(shelfUid)).toBe(SECURED);
    const ended = await call('POST', `/api/v1/sessions/${session.id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.template).toBe('checkin');
    expect(ended.body.receipt.data.returns.map((r: Json) => [r.barcode, r.hold])).toEqual([
      ['31000001', false],
      ['31000024', false],
      ['31000008', true],
      ['31000030', false],
    ]);
    expect(ended.body.ils).toBeNull();
  });
});

describe('two kiosks', () => {
  it('two pads, two sessions at once: each sees only its own items', async () => {
    const one = await openCheckout();
    const two = (
      await call('POST', '/api/v1/sessions', {
        mode: 'checkout',
        pad: 'pad-2',
        patron: '21000001',
        pin: '1234',
      })
    ).body as SessionView;
    placeItem('31000014');
    placeItem('31000027', { pad: 'pad-sim-2' });
    await itemSettled(one.id, '31000014', 'checked_out');
    await itemSettled(two.id, '31000027', 'checked_out');
    const first = (await call('GET', `/api/v1/sessions/${one.id}`)).body as SessionView;
    const second = (await call('GET', `/api/v1/sessions/${two.id}`)).body as SessionView;
    expect(first.items.map((i) => i.item)).toEqual(['31000014']);
    expect(second.items.map((i) => i.item)).toEqual(['31000027']);
    for (const item of ['31000014', '31000027']) await call('POST', '/api/v1/checkins', { item });
  });
});

describe('inactivity', () => {
  it('ends a session nobody touches, and tells its watchers', async () => {
    const session = await openCheckout();
    const live = await watch(session.id);
    await live.closed;
    const ended = live.updates.at(-1);
    expect(ended).toMatchObject({ event: 'ended', data: { state: 'ended', endReason: 'timeout' } });
    expect(((await call('GET', `/api/v1/sessions/${session.id}`)).body as SessionView).state).toBe('ended');
  }, 20_000);

  it('a patron who walks away: the item left waiting on the pad is not checked out, and the kiosk is told so in words', async () => {
    // One by one (auto: false): the item waits on the pad for the patron to confirm it.
    const session = await openCheckout({ auto: false });
    const live = await watch(session.id);
    placeItem('31000028');
    await itemSettled(session.id, '31000028', 'on_pad');
    await live.closed;
    const ended = live.updates.at(-1);
    expect(ended).toMatchObject({ event: 'ended', data: { state: 'ended', endReason: 'timeout' } });
    const view = ended?.data as SessionView;
    expect(view.items).toMatchObject([{ item: '31000028', state: 'on_pad' }]);
    // In words a kiosk can show: why it ended, and that what lay waiting was not checked out.
    expect(view.endMessage).toMatch(/10 seconds/);
    expect(view.endMessage).toMatch(/not checked out/);
    // A kiosk that calls after it ended hears the same, not only "has ended".
    const late = await call('POST', `/api/v1/sessions/${session.id}/items`, { item: '31000028' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'session_ended' });
    expect(late.body.detail).toContain(view.endMessage);
    // The library system lent nothing.
    const item = (await call('GET', '/api/v1/items/31000028')).body;
    expect(item.item.status).toBe('available');
  }, 20_000);
});
