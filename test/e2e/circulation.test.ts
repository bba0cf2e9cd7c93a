import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { Desk } from '../../src/app/desk.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Circulation end to end: the HTTP API and MQTT of the simulated desk, the
 * circulation service, the SIP2 client over TCP and the ILS simulator with its
 * sample library (simulators/ils/fixtures/sample-library.yaml).
 */
let testDesk: TestDesk;
let desk: Desk;
let api: string;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ({ desk, api } = testDesk);
  // The ILS link logs in on its own after start: wait for it (an event-free probe, bounded).
  await until(
    async () =>
      ((await (await fetch(`${api}/api/v1/devices/ils`)).json()) as { status: string }).status === 'online' ||
      undefined,
    5000,
    'the ILS link did not come online',
    20,
  );
});

afterAll(async () => {
  await testDesk?.stop();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);
const post = (path: string, body: unknown) => call('POST', path, body);

describe('patron lookup', () => {
  it('shows a patron with loans (titles and due dates), holds and no fines when the PIN is right', async () => {
    const { status, json } = await post('/patrons/lookup', { patron: '21000001', pin: '1234' });
    expect(status).toBe(200);
    const { patron } = json;
    expect(patron).toMatchObject({
      id: '21000001',
      name: 'Zoë Åström',
      valid: true,
      pinValid: true,
      blocked: false,
      reasons: [],
      fines: { total: '0.00', currency: 'EUR', items: [] },
      counts: { loans: 2, overdue: 0, holdsUnavailable: 1 },
    });
    expect(patron.loans.map((loan: { item: string }) => loan.item).sort()).toEqual(['31000001', '31000002']);
    const pippi = patron.loans.find((loan: { item: string }) => loan.item === '31000001');
    expect(pippi).toMatchObject({ title: 'Pippi Långstrump', overdue: false });
    expect(pippi.dueDate.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(pippi.dueDate.text).toHaveLength(18);
    expect(patron.holds.unavailable).toEqual([{ item: '31000010', title: 'Norwegian Wood' }]);
  });

  it('refuses a wrong PIN with 422 invalid_pin and the ILS message, showing nothing of the patron', async () => {
    const { status, type, json } = await post('/patrons/lookup', { patron: '21000001', pin: '0000' });
    expect(status).toBe(422);
    expect(type).toContain('application/problem+json');
    expect(json).toMatchObject({
      code: 'invalid_pin',
      reason: 'invalid_pin',
      type: 'urn:carrel:problem:invalid_pin',
    });
    expect(json.screenMessages).toContain('Invalid PIN');
    expect(JSON.stringify(json)).not.toContain('Åström');
  });

  it('refuses an unknown patron with patron_not_found', async () => {
    const { status, json } = await post('/patrons/lookup', { patron: '29999999', pin: '1' });
    expect(status).toBe(422);
    expect(json).toMatchObject({ reason: 'patron_not_found', screenMessages: ['Unknown patron'] });
  });

  it('tells a blocked, an expired and a fined patron apart, with the ILS wording', async () => {
    const blocked = (await post('/patrons/lookup', { patron: '21000005', pin: '5555' })).json.patron;
    expect(blocked).toMatchObject({ blocked: true, reasons: ['patron_blocked'] });
    expect(blocked.screenMessages).toContain('Card blocked, please see staff');

    const expired = (await post('/patrons/lookup', { patron: '21000004', pin: '4444' })).json.patron;
    expect(expired).toMatchObject({ blocked: true, reasons: ['card_expired'] });

    const fined = (await post('/patrons/lookup', { patron: '21000003', pin: '3333' })).json.patron;
    expect(fined).toMatchObject({ blocked: true, reasons: ['excessive_fines'] });
    expect(fined.fines.total).toBe('12.50');
    expect(fined.fines.items[0]).toMatchObject({ id: 'F-1001', amount: '7.50', description: 'Late return' });

    const overdue = (await post('/patrons/lookup', { patron: '21000008', pin: '8888' })).json.patron;
    expect(overdue.reasons).toContain('too_many_overdue');
    expect(overdue.loans.every((loan: { overdue: boolean }) => loan.overdue)).toBe(true);
  });

  it('validates the body and keeps the PIN out of URLs', async () => {
    expect((await post('/patrons/lookup', { pin: '1234' })).status).toBe(400);
    expect((await post('/patrons/lookup', { patron: 'a|b' })).status).toBe(400);
    expect((await call('GET', '/patrons/lookup')).status).toBe(404);
  });
});

describe('checkout, checkin, renewals', () => {
  it('checks out an item with a due date and says to desensitize', async () => {
    const { status, json } = await post('/checkouts', { patron: '21000009', pin: '9999', item: '31000005' });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      ok: true,
      renewal: false,
      item: { id: '31000005', title: 'Dune', desensitize: true },
    });
    expect(json.item.dueDate.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('refuses with stable reasons and the ILS screen message', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ patron: '21000001', pin: '1234', item: '31000009' }, 409, 'item_on_hold_for_another'],
      [{ patron: '21000005', pin: '5555', item: '31000006' }, 409, 'patron_blocked'],
      [{ patron: '21000004', pin: '4444', item: '31000006' }, 409, 'card_expired'],
      [{ patron: '21000003', pin: '3333', item: '31000006' }, 409, 'excessive_fines'],
      [{ patron: '21000001', pin: '1234', item: '31000016' }, 409, 'item_not_circulating'],
      [{ patron: '21000001', pin: '1234', item: '31000001' }, 409, 'already_checked_out'],
      [{ patron: '21000001', pin: '1234', item: '39999999' }, 422, 'item_not_found'],
      [{ patron: '21000001', pin: '9', item: '31000006' }, 422, 'invalid_pin'],
    ];
    for (const [body, status, reason] of cases) {
      const answer = await post('/checkouts', body);
      expect({ status: answer.status, reason: answer.json.reason }).toEqual({ status, reason });
      expect(answer.json.screenMessages.length).toBeGreaterThan(0);
      expect(answer.json.detail).toBe(answer.json.screenMessages.join(' '));
    }
  });

  it('asks for a fee to be acknowledged, then charges it', async () => {
    const refused = await post('/checkouts', { patron: '21000009', pin: '9999', item: '31000012' });
    expect(refused.status).toBe(409);
    expect(refused.json.reason).toBe('fee_required');
    expect(refused.json.screenMessages[0]).toContain('1.50 EUR');
    const done = await post('/checkouts', {
      patron: '21000009',
      pin: '9999',
      item: '31000012',
      feeAcknowledged: true,
    });
    expect(done.status).toBe(200);
    expect(done.json.item.fee).toEqual({ amount: '1.50', currency: 'EUR', type: 'rental' });

    // Renewing the rental charges it again: asked first, as the checkout was (SIP2 BO on the 29).
    const loan = { patron: '21000009', pin: '9999', item: '31000012' };
    const notAsked = await post('/renewals', loan);
    expect(notAsked.status).toBe(409);
    expect(notAsked.json.reason).toBe('fee_required');
    expect(notAsked.json.screenMessages[0]).toContain('1.50 EUR');
    const renewed = await post('/renewals', { ...loan, feeAcknowledged: true });
    expect(renewed.status).toBe(200);
    expect(renewed.json.item.fee).toEqual({ amount: '1.50', currency: 'EUR', type: 'rental' });
  });

  it('checks in: back on the shelf, or a hold for another branch sent in transit', async () => {
    const back = await post('/checkins', { item: '31000005' });
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ ok: true, resensitize: true, item: { id: '31000005', title: 'Dune' } });
    expect(back.json.alert).toBeUndefined();

    const held = await post('/checkins', { item: '31000008' });
    expect(held.json).toMatchObject({ ok: true, sortBin: 'TRANSIT', alert: { type: 'hold_in_transit' } });
    expect(held.json.alert.message).toContain('send in transit');
    expect(held.json).not.toHaveProperty('patron');
  });

  it('renews until the renewal limit', async () => {
    const first = await post('/renewals', { patron: '21000001', pin: '1234', item: '31000002' });
    expect(first.status).toBe(200);
    expect(first.json.item.dueDate.date).toMatch(/^\d{4}-/);
    const second = await post('/renewals', { patron: '21000001', pin: '1234', item: '31000002' });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ reason: 'renewal_limit', screenMessages: ['Renewal limit reached'] });
  });

  it('renews all loans of a patron', async () => {
    const { status, json } = await post('/renewals', { patron: '21000002', pin: '2222', all: true });
    expect(status).toBe(200);
    expect(json).toMatchObject({ ok: true, renewed: ['31000003'], unrenewed: [] });
    expect((await post('/renewals', { patron: '21000002', all: false })).status).toBe(400);
  });
});

describe('holds, fees, items, sessions', () => {
  it('places and cancels a hold', async () => {
    const placed = await post('/holds', {
      patron: '21000009',
      pin: '9999',
      item: '31000006',
      pickupLocation: 'EAST',
    });
    expect(placed.status).toBe(200);
    expect(placed.json).toMatchObject({
      ok: true,
      item: '31000006',
      queuePosition: 1,
      pickupLocation: 'EAST',
    });
    const again = await post('/holds', { patron: '21000009', pin: '9999', item: '31000006' });
    expect(again.json.reason).toBe('hold_exists');
    const cancelled = await post('/holds/cancel', { patron: '21000009', pin: '9999', item: '31000006' });
    expect(cancelled.status).toBe(200);
    const none = await post('/holds/cancel', { patron: '21000009', pin: '9999', item: '31000006' });
    expect(none.json).toMatchObject({ reason: 'hold_not_found', screenMessages: ['No hold to cancel'] });
    expect((await post('/holds', { patron: '21000009' })).status).toBe(400);
  });

  it('takes a fee payment and refuses a wrong amount', async () => {
    const paid = await post('/fees/payments', {
      patron: '21000006',
      pin: '6666',
      amount: '1.25',
      feeId: 'F-1003',
    });
    expect(paid.status).toBe(200);
    expect(paid.json.accepted).toBe(true);
    expect(paid.json.screenMessages).toContain('Balance 0.00 EUR');
    const tooMuch = await post('/fees/payments', { patron: '21000003', pin: '3333', amount: '99.00' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.reason).toBe('invalid_amount');
    expect((await post('/fees/payments', { patron: '21000003', amount: '1,00' })).status).toBe(400);
  });

  it('describes an item, and refuses an unknown one', async () => {
    const { status, json } = await call('GET', '/items/31000001');
    expect(status).toBe(200);
    expect(json.item).toMatchObject({
      id: '31000001',
      title: 'Pippi Långstrump',
      status: 'charged',
      permanentLocation: 'MAIN',
    });
    expect(json.item.dueDate.date).toMatch(/^\d{4}-/);
    const unknown = await call('GET', '/items/39999999');
    expect(unknown.status).toBe(422);
    expect(unknown.json.reason).toBe('item_not_found');
  });

  it('ends the patron session', async () => {
    const { status, json } = await post('/patrons/end-session', { patron: '21000001' });
    expect(status).toBe(200);
    expect(json).toEqual({ ended: true, screenMessages: ['Thank you, goodbye'] });
  });

  it('documents the routes in OpenAPI', async () => {
    const json = (await (await fetch(`${api}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    const paths = Object.keys(json.paths ?? {});
    expect(paths).toEqual(
      expect.arrayContaining(['/api/v1/patrons/lookup', '/api/v1/checkouts', '/api/v1/items/{item}']),
    );
  });
});

describe('circulation over MQTT and without the ILS', () => {
  it('answers circulation actions, a refusal as an error envelope with the reason', async () => {
    const client = await mqtt.connectAsync(desk.urls().mqtt!, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'kiosk-1',
    });
    // A client asks and is answered in its own area: clients/<its client id>/.
    const base = 'carrel/library/desk-1/clients/kiosk-1';
    const responses = new Map<
      string,
      { status: string; data: unknown; error?: { code: string; message: string } }
    >();
    client.on('message', (_topic, payload) => {
      const envelope = JSON.parse(String(payload));
      responses.set(envelope.transaction, envelope);
    });
    await client.subscribeAsync(`${base}/response/#`);
    await client.publishAsync(
      `${base}/request/circulation.checkout`,
      JSON.stringify({ transaction: 't1', data: { patron: '21000001', pin: '1234', item: '31000009' } }),
    );
    await client.publishAsync(
      `${base}/request/circulation.item`,
      JSON.stringify({ transaction: 't2', data: { item: '31000002' } }),
    );
    await expect.poll(() => responses.size, { timeout: 5000 }).toBe(2);
    expect(responses.get('t1')).toMatchObject({
      status: 'error',
      error: { code: 'item_on_hold_for_another', message: 'Item is on hold for another patron' },
    });
    expect(responses.get('t2')).toMatchObject({ status: 'ok', data: { item: { title: 'Les Misérables' } } });
    await client.endAsync();
  });

  it('answers 503 ils_offline when the ILS is gone', async () => {
    await desk.simulators.handle(ilsSimulators, 'ils-sim')!.close();
    await expect
      .poll(async () => (await post('/checkins', { item: '31000001' })).json.code, { timeout: 8000 })
      .toBe('ils_offline');
    const { status, type } = await post('/checkouts', { patron: '21000001', item: '31000006' });
    expect(status).toBe(503);
    expect(type).toContain('application/problem+json');
  });
});
