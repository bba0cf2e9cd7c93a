import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cashSimulators } from '../../simulators/cash/family.js';
import { cashDevices } from '../../src/gateway/families/cash-device/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { untilNotFalse } from '../helpers/until.js';

/**
 * The default desk's coin acceptor and bill validator (the simulated ccTalk
 * bus over TCP): their status over the API, money taken for a holder credited
 * once and published after it is journaled, a note the holder cannot take
 * returned from escrow, the cash box report and its emptying with a variance.
 */
let testDesk: TestDesk;
let api: string;
let socket: WebSocket;
const events: Array<{ type: string; device: string; data: Record<string, unknown> }> = [];

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'coins-1', 'online', 15_000);
  await waitForDevice(api, 'notes-1', 'online', 15_000);
  socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events?devices=coins-1,notes-1`);
  socket.on('message', (message) => {
    const parsed = JSON.parse(String(message));
    if (parsed.event === 'device.event') events.push(parsed.data);
  });
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

const sim = () => testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
const port = (id: string) => testDesk.desk.services.ports.port(cashDevices, id);

const until = <T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> =>
  untilNotFalse(probe, timeoutMs);

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(`${api}/api/v1${path}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

/** A patron's print top-up of 10.00, paid at `devices` (every cash device when not given): its id. */
async function openTopUp(devices?: string[]): Promise<string> {
  const opened = await call('POST', '/payments', {
    patron: '21000002',
    pin: '2222',
    purpose: { kind: 'print-topup', amountMinor: 1000 },
    ...(devices ? { devices } : {}),
  });
  expect(opened.status).toBe(201);
  return opened.json.id as string;
}

/** A payment's event WebSocket as its kiosk holds it, open: every message it has sent so far. */
async function watchPayment(id: string) {
  // biome-ignore lint/suspicious/noExplicitAny: WebSocket messages are checked field by field
  const updates: any[] = [];
  const watcher = new WebSocket(`${api.replace('http', 'ws')}/api/v1/payments/${id}/events`);
  watcher.on('message', (raw) => updates.push(JSON.parse(String(raw))));
  await new Promise((resolve) => watcher.once('open', resolve));
  return { updates, watcher };
}

describe('cash devices on the simulated desk', () => {
  it('says what each device takes, and that it takes nothing while no payment holds it', async () => {
    const coins = await call('GET', '/cash-devices/coins-1');
    expect(coins.status).toBe(200);
    expect(coins.json).toMatchObject({
      device: 'coin-acceptor',
      connected: true,
      accepting: false,
      holder: null,
    });
    expect(coins.json.denominations.map((d: { valueMinor: number }) => d.valueMinor)).toEqual([
      5, 10, 20, 50, 100, 200,
    ]);
    const notes = await call('GET', '/cash-devices/notes-1');
    expect(notes.json.denominations.map((d: { valueMinor: number }) => d.valueMinor)).toEqual([
      500, 1000, 2000, 5000,
    ]);
    expect((await call('GET', '/cash-devices/receipt-1')).json.code).toBe('not_a_cash_device');
  });

  it('takes the values a holder may take, credits each coin to it once, after journaling', async () => {
    const status = await port('coins-1').accept({ holder: 'pay-A', currency: 'EUR', maxValueMinor: 100 });
    expect(status).toMatchObject({ accepting: true, holder: 'pay-A', accepted: [5, 10, 20, 50, 100] });
    expect(sim().insertCoin(200)).toMatchObject({ accepted: false });
    expect(sim().insertCoin(100)).toMatchObject({ accepted: true });
    const credit = await until(() => events.find((e) => e.type === 'cash.credit'));
    expect(credit).toMatchObject({
      device: 'coins-1',
      data: { valueMinor: 100, currency: 'EUR', holder: 'pay-A', deviceKind: 'coin-acceptor' },
    });
    await expect(
      port('coins-1').accept({ holder: 'pay-B', currency: 'EUR', maxValueMinor: 100 }),
    ).rejects.toMatchObject({
      code: 'cash_device_busy',
    });
    await port('coins-1').release('pay-A');
    expect(port('coins-1').status()).toMatchObject({ accepting: false, holder: null });
    expect(events.filter((e) => e.type === 'cash.credit')).toHaveLength(1);
  });

  it('refuses a note worth more than the holder may take, and stacks one that fits from escrow', async () => {
    await port('notes-1').accept({ holder: 'pay-C', currency: 'EUR', maxValueMinor: 1000 });
    // The validator takes only 5 and 10: a 20 is refused by its inhibits; the escrow decides on value too.
    expect(sim().insertNote(2000)).toMatchObject({ accepted: false, reason: 'inhibited' });
    expect(sim().insertNote(1000)).toMatchObject({ accepted: true, escrow: true });
    const escrow = await until(() => events.find((e) => e.type === 'cash.escrow'));
    expect(escrow.data).toMatchObject({ valueMinor: 1000, decision: 'stack', outcome: 'routed' });
    await until(() => events.find((e) => e.type === 'cash.credit' && e.device === 'notes-1'));
    await port('notes-1').release('pay-C');
  });

  it('reports what the cash box should hold, and records an emptying with its variance', async () => {
    const box = await call('GET', '/cash-devices/coins-1/cash-box');
    expect(box.json).toMatchObject({
      device: 'coins-1',
      expectedMinor: 100,
      count: 1,
      byDenomination: [{ valueMinor: 100, count: 1 }],
      unheld: { count: 0, valueMinor: 0 },
      lastEmptied: null,
    });
    const emptied = await call('POST', '/cash-devices/coins-1/cash-box/emptyings', { countedMinor: 95 });
    expect(emptied.status).toBe(201);
    expect(emptied.json).toMatchObject({ expectedMinor: 100, countedMinor: 95, varianceMinor: -5 });
    expect((await call('GET', '/cash-devices/coins-1/cash-box')).json).toMatchObject({
      expectedMinor: 0,
      count: 0,
    });
  });

  it("says how full each cash box is, as the dashboard shows it: the built-in desk's boxes hold what a kiosk's do", async () => {
    // `npm start`'s desk set no capacity: its health records had no fill ratio, the dashboard no gauge.
    for (const id of ['coins-1', 'notes-1']) {
      const health = await call('GET', `/devices/${id}`);
      expect(health.status).toBe(200);
      const { cashBox } = health.json.detail;
      expect(cashBox.capacity, `${id}'s cash box capacity`).toBeGreaterThanOrEqual(100);
      expect(cashBox).toMatchObject({ fillRatio: cashBox.count / cashBox.capacity, nearFull: false });
    }
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/^carrel_cash_box_fill_ratio\{device="coins-1"\} [\d.]+$/m);
    expect(metrics).toMatch(/^carrel_cash_box_fill_ratio\{device="notes-1"\} [\d.]+$/m);
  });

  it('shows a removed cash box as the device degraded', async () => {
    sim().billValidator!.setStacker('removed');
    await waitForDevice(api, 'notes-1', 'degraded');
    expect((await call('GET', '/devices/notes-1')).json.reason).toContain('cash box removed');
    sim().billValidator!.setStacker('in');
    await waitForDevice(api, 'notes-1', 'online');
  });

  it("says what stops a jammed acceptor, and a payment's kiosk hears that its coins are not taken until it is cleared", async () => {
    const id = await openTopUp();
    const { updates, watcher } = await watchPayment(id);
    const coinsAndNotes = [5, 10, 20, 50, 100, 200, 500, 1000];
    await until(() =>
      updates.some((u) => u.event === 'payment' && u.data.accepting.join() === coinsAndNotes.join()),
    );
    try {
      // Jammed, the acceptor hands every coin back; the payment listed its coins as taken all the same.
      sim().coinAcceptor!.setJammed(true);
      const jammed = await until(() =>
        updates.find((u) => u.event === 'payment' && u.data.accepting.join() === '500,1000'),
      );
      expect(jammed.data.state).toBe('collecting');
      expect((await call('GET', '/cash-devices/coins-1')).json.trouble).toMatch(/credit sensor/);
      expect((await call('GET', `/payments/${id}`)).json.accepting).toEqual([500, 1000]);
      sim().coinAcceptor!.setJammed(false);
      await until(
        () => updates.findLast((u) => u.event === 'payment')?.data.accepting.join() === coinsAndNotes.join(),
        10_000,
      );
      expect((await call('GET', '/cash-devices/coins-1')).json.trouble).toBeNull();
    } finally {
      sim().coinAcceptor!.setJammed(false);
      watcher.close();
      await fetch(`${api}/api/v1/payments/${id}`, { method: 'DELETE' });
    }
  });

  it('lists nothing as taken while the line to the acceptors is down, and what they take once it is back', async () => {
    const id = await openTopUp();
    const { updates, watcher } = await watchPayment(id);
    const coinsAndNotes = [5, 10, 20, 50, 100, 200, 500, 1000];
    try {
      // A loose cable: Carrel cannot see what the acceptors take, and the coins a patron puts in now
      // are counted only once the line is back (owed back if the payment has ended by then). The
      // payment went on listing every coin and note as taken.
      sim().setFaults({ dropAnswers: 1000 });
      await waitForDevice(api, 'coins-1', 'offline', 15_000);
      await waitForDevice(api, 'notes-1', 'offline', 15_000);
      await until(() => updates.findLast((u) => u.event === 'payment')?.data.accepting.length === 0, 5_000);
      expect((await call('GET', `/payments/${id}`)).json.accepting).toEqual([]);
      sim().setFaults({ dropAnswers: 0 });
      await until(
        () => updates.findLast((u) => u.event === 'payment')?.data.accepting.join() === coinsAndNotes.join(),
        20_000,
      );
      expect((await call('GET', `/payments/${id}`)).json.accepting).toEqual(coinsAndNotes);
    } finally {
      sim().setFaults({ dropAnswers: 0 });
      watcher.close();
      await fetch(`${api}/api/v1/payments/${id}`, { method: 'DELETE' });
    }
  });

  it('tells staff when another acceptor answers in its place (a spare fitted), and credits none of the coins it took before', async () => {
    const since = events.length;
    await port('coins-1').accept({ holder: 'pay-S', currency: 'EUR', maxValueMinor: 500 });
    try {
      // The acceptor unplugged and a spare fitted, which a technician tried with two coins first:
      // its own serial number and counter. Read on from the old counter, the coins would be
      // credited to the payment holding the acceptor.
      sim().setFaults({ dropAnswers: 1000 });
      await waitForDevice(api, 'coins-1', 'offline', 15_000);
      const spare = 0x00c0ff;
      sim().coinAcceptor!.fitSpare(spare, [
        { a: 4, b: 1 },
        { a: 5, b: 1 },
      ]);
      sim().setFaults({ dropAnswers: 0 });
      const notice = await until(
        () =>
          events
            .slice(since)
            .find(
              (e) => e.type === 'cash.notice' && e.device === 'coins-1' && e.data.code === 'device_replaced',
            ),
        10_000,
      );
      expect(notice.data).toMatchObject({ severity: 'status' });
      expect(notice.data.name).toContain(`serial number ${spare}`);
      await waitForDevice(api, 'coins-1', 'online', 15_000);
      // Counting from the spare's own counter: its next coin is credited, once.
      await until(() => port('coins-1').status().accepting);
      expect(sim().insertCoin(20)).toMatchObject({ accepted: true });
      await until(() => events.slice(since).find((e) => e.type === 'cash.credit' && e.device === 'coins-1'));
      expect(
        events
          .slice(since)
          .filter((e) => e.type === 'cash.credit' && e.device === 'coins-1')
          .map((e) => e.data.valueMinor),
      ).toEqual([20]);
      expect(
        events.slice(since).filter((e) => e.type === 'cash.notice' && e.data.code === 'events_lost'),
      ).toEqual([]);
    } finally {
      sim().setFaults({ dropAnswers: 0 });
      await port('coins-1').release('pay-S');
    }
  }, 40_000);

  it('says to the payment and its kiosk that coins went in uncounted when more came than the acceptor’s buffer holds', async () => {
    const id = await openTopUp(['coins-1']);
    const { updates, watcher } = await watchPayment(id);
    try {
      await until(() => updates.some((u) => u.event === 'payment' && u.data.accepting.includes(10)));
      // Seven coins between two polls: the acceptor keeps its last five events, so two are never
      // seen and the five it shows cannot be told from older ones — nothing is credited, and the
      // patron's money is in the box uncounted. The payment said nothing of it (paid 0.00).
      for (let coin = 0; coin < 7; coin++) expect(sim().insertCoin(10).accepted).toBe(true);
      const told = await until(
        () => updates.find((u) => u.event === 'payment' && u.data.uncounted?.length > 0),
        5_000,
      ).catch(() => undefined);
      const payment = (await call('GET', `/payments/${id}`)).json;
      expect(payment.paidMinor).toBe(0);
      expect(payment.uncounted, 'the payment says coins went in uncounted').toEqual(
        expect.arrayContaining([
          expect.objectContaining({ device: 'coins-1', reason: 'events_lost' }),
          expect.objectContaining({ device: 'coins-1', reason: 'event_counter_jump', valueMinor: 10 }),
        ]),
      );
      expect(told, "the payment's kiosk hears it").toBeDefined();
      const ended = await call('DELETE', `/payments/${id}`);
      expect(ended.json.payment.uncounted.length).toBe(payment.uncounted.length);
      const box = (await call('GET', '/cash-devices/coins-1/cash-box')).json;
      expect(box.unverified).toEqual(
        expect.arrayContaining([expect.objectContaining({ reason: 'events_lost' })]),
      );
    } finally {
      watcher.close();
      await fetch(`${api}/api/v1/payments/${id}`, { method: 'DELETE' });
    }
  });

  it('credits a coin taken just before staff reset the acceptor, which empties its event buffer', async () => {
    const id = await openTopUp(['coins-1']);
    try {
      await until(async () => (await call('GET', `/payments/${id}`)).json.accepting.includes(100));
      // A reset (ccTalk 1) sets the device's counter to 0 and empties its buffer: a coin it took
      // and Carrel had not read yet was in the cash box, credited to no one and said nowhere.
      expect(sim().insertCoin(100).accepted).toBe(true);
      const reset = await call('POST', '/cash-devices/coins-1/reset');
      expect(reset.status).toBe(200);
      const paid = await until(async () => {
        const payment = (await call('GET', `/payments/${id}`)).json;
        return payment.paidMinor > 0 ? payment : undefined;
      }, 3_000).catch(() => undefined);
      expect(paid?.paidMinor, 'the coin taken before the reset is credited to the payment').toBe(100);
      // Reset, the device takes what the payment takes again, and counts on.
      await until(() => sim().coinAcceptor!.accepting);
      expect(sim().insertCoin(50).accepted).toBe(true);
      await until(async () => (await call('GET', `/payments/${id}`)).json.paidMinor === 150);
    } finally {
      await call('DELETE', `/payments/${id}`);
    }
  });

  it('lists the cash events in the OpenAPI document, each with the shape of its data', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is checked field by field
    const doc: any = await (await fetch(`${api}/docs/openapi.json`)).json();
    const documented = doc['x-carrel-events'];
    expect(Object.keys(documented)).toEqual(
      expect.arrayContaining([
        'cash.credit',
        'cash.unverified',
        'cash.escrow',
        'cash.notice',
        'cash.acceptance',
      ]),
    );
    expect(documented['cash.credit'].data.properties).toHaveProperty('valueMinor');
    expect(documented['cash.credit'].data.properties).toHaveProperty('holder');
  });
});
