import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until as poll } from '../helpers/until.js';

/**
 * A patron card read from a pad is the card lying there now. The pad's kept view holds a card taken
 * off for three inventory rounds (~600 ms): the next patron who lays a card down meanwhile must log
 * in and pay as themselves, not as the patron who just left, nor be told two cards are there. The
 * default desk: the simulated pad over TCP, placed and cleared through its control API, the ILS over
 * SIP2, the cash simulator on ccTalk.
 */
let testDesk: TestDesk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  for (const device of ['pad-1', 'ils', 'coins-1']) await waitForDevice(api, device, 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

/** The cards a test laid on the pad and has not lifted: lifted after it, passed or failed. */
const onPad = new Set<string>();

afterEach(async () => {
  for (const uid of onPad) await liftCard(uid);
  await padHolds([]);
  // A payment a failed test left open would hold the coin acceptor for the next.
  for (const payment of (await call('GET', '/payments')).json.payments as Array<{ id: string }>)
    await call('DELETE', `/payments/${payment.id}`);
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> =>
  poll(probe, timeoutMs, `timed out waiting for ${what}`, 20);

const padUrl = () => testDesk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!.httpUrl;

/** Lays a patron card on the simulated pad through its control API; its UID. */
async function layCard(patron: string): Promise<string> {
  const memory = encodeIso28560Part3({
    primaryItemId: patron,
    ownerLibrary: 'SE-RPL',
    typeOfUsage: 'patron-card',
  });
  const placed = await fetch(`${padUrl()}/api/tags`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e }),
  });
  expect(placed.status).toBe(201);
  const { uid } = (await placed.json()) as { uid: string };
  onPad.add(uid);
  return uid;
}

async function liftCard(uid: string): Promise<void> {
  const removed = await fetch(`${padUrl()}/api/tags/${uid}`, { method: 'DELETE' });
  expect(removed.ok).toBe(true);
  onPad.delete(uid);
}

/** Waits until the patron cards in the pad's kept view are these (the desk's items lie there too). */
async function padHolds(uids: string[]): Promise<void> {
  await until(`pad-1 holding the cards ${uids.join(', ') || 'none'}`, async () => {
    const { json } = await call('GET', '/rfid/pad-1/tags');
    const cards = (json.tags as Array<{ uid: string; item: { typeOfUsage?: string } | null }>)
      .filter((tag) => tag.item?.typeOfUsage === 'patron-card')
      .map((tag) => tag.uid);
    return cards.sort().join() === [...uids].sort().join() ? true : undefined;
  });
}

/**
 * The first patron's card lies on the pad, known to it; it is lifted and the next patron's laid
 * down at once, well inside the kept view's grace.
 */
async function swapCards(leaving: string, coming: string): Promise<void> {
  const first = await layCard(leaving);
  await padHolds([first]);
  await liftCard(first);
  const started = performance.now();
  await layCard(coming);
  expect(performance.now() - started).toBeLessThan(300);
}

describe('a patron card read from a pad as it lies there now', () => {
  it('logs the release station in as the card laid down just now, not the one lifted off', async () => {
    await swapCards('21000003', '21000001');
    const login = await call('POST', '/print/station/login', { pad: 'pad-1', pin: '1234' });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    expect(login.json).toMatchObject({ name: 'Zoë Åström' });
    await call('POST', '/print/station/logout', { session: login.json.session });
  });

  it('opens a payment for the patron whose card lies there now, not the one who just left', async () => {
    await swapCards('21000003', '21000006');
    const opened = await call('POST', '/payments', {
      patronCard: true,
      pad: 'pad-1',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
    });
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    expect(opened.json).toMatchObject({ patron: { name: 'Ana Núñez' }, amountDueMinor: 125 });
    const cancelled = await call('DELETE', `/payments/${opened.json.id}`);
    expect(cancelled.json.payment).toMatchObject({ state: 'cancelled', paidMinor: 0 });
  });

  it('opens a self-check session for the patron whose card lies there now, not the one who just left', async () => {
    await swapCards('21000003', '21000006');
    const opened = await call('POST', '/sessions', {
      mode: 'checkout',
      pad: 'pad-1',
      patronCard: true,
      pin: '6666',
    });
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    expect(opened.json.patron).toMatchObject({ name: 'Ana Núñez' });
    await call('DELETE', `/sessions/${opened.json.id}`);
  });

  it('says no card is on a pad whose card was lifted off just now', async () => {
    const card = await layCard('21000006');
    await padHolds([card]);
    await liftCard(card);
    const login = await call('POST', '/print/station/login', { pad: 'pad-1', pin: '6666' });
    expect(login.json).toMatchObject({ status: 422, code: 'patron_card_not_found' });
    const opened = await call('POST', '/payments', {
      patronCard: true,
      pad: 'pad-1',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
    });
    expect(opened.json).toMatchObject({ status: 422, code: 'patron_card_not_found' });
  });

  it('counts a pad that cannot be read now as no card, and says why', async () => {
    const card = await layCard('21000006');
    await padHolds([card]);
    const pad = testDesk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
    // Every reply the reader sends is broken: no inventory can be taken, the card lies there unseen.
    pad.setFaults({ crcErrorRate: 1 });
    try {
      const login = await call('POST', '/print/station/login', { pad: 'pad-1', pin: '6666' });
      expect(login.json).toMatchObject({ status: 422, code: 'patron_card_not_found' });
      expect(login.json.detail).toMatch(/no patron card can be read on pad "pad-1" now: RFID reader "pad-1"/);
      const opened = await call('POST', '/payments', {
        patronCard: true,
        pad: 'pad-1',
        pin: '6666',
        purpose: { kind: 'fees', fees: ['F-1003'] },
      });
      expect(opened.json).toMatchObject({ status: 422, code: 'patron_card_not_found' });
      expect(opened.json.detail).toMatch(/no patron card can be read on pad "pad-1" now/);
    } finally {
      pad.setFaults({ crcErrorRate: 0 });
    }
    await waitForDevice(api, 'pad-1', 'online', 15_000);
  });

  it('gives a cash device to one of two payments opened at once on it, one by the card on the pad', async () => {
    const card = await layCard('21000006');
    await padHolds([card]);
    const [byCard, byNumber] = await Promise.all([
      call('POST', '/payments', {
        patronCard: true,
        pad: 'pad-1',
        pin: '6666',
        devices: ['coins-1'],
        purpose: { kind: 'fees', fees: ['F-1003'] },
      }),
      call('POST', '/payments', {
        patron: '21000003',
        pin: '3333',
        devices: ['coins-1'],
        purpose: { kind: 'fees', fees: ['F-1001'] },
      }),
    ]);
    const answers = [byCard, byNumber];
    const opened = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(opened, JSON.stringify(answers.map((answer) => answer.json))).toHaveLength(1);
    expect(refused[0]!.json).toMatchObject({ status: 409, code: 'cash_device_busy' });
    const winner = opened[0]!.json.id as string;
    expect((await call('GET', '/cash-devices/coins-1')).json.holder).toBe(winner);
    const live = (await call('GET', '/payments')).json;
    expect((live.payments as Array<{ id: string }>).map((payment) => payment.id)).toEqual([winner]);
    await call('DELETE', `/payments/${winner}`);
    expect((await call('GET', '/cash-devices/coins-1')).json.holder).toBeNull();
  });
});
