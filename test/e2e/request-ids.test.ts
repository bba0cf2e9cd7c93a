/**
 * Circulation's changes sent again with the same request id, on the simulated
 * desk: HTTP and MQTT, the SIP2 client over TCP, the ILS simulator. A kiosk
 * whose answer was lost sends the request again; the patron pays once, the
 * item is checked out once, and the kiosk hears what was done.
 */
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { IlsSimulator } from '../../simulators/ils/index.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import type { Desk } from '../../src/app/desk.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
let desk: Desk;
let api: string;
let ils: IlsSimulator;

beforeAll(async () => {
  testDesk = await startTestDesk();
  ({ desk, api } = testDesk);
  ils = desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  await waitForDevice(api, 'ils', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    json: (await response.json()) as any,
  };
}

const owedCents = (patron: string) =>
  ils.state.patron(patron)!.fees.reduce((sum, fee) => sum + fee.amountCents, 0);

describe('request ids on circulation', () => {
  it('takes a fee payment sent twice with one request id once, and answers the second with the first answer', async () => {
    const before = owedCents('21000003');
    const payment = { patron: '21000003', pin: '3333', amount: '2.00', requestId: randomUUID() };
    const first = await post('/fees/payments', payment);
    const again = await post('/fees/payments', payment);
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(again).toMatchObject({ status: 200, replayed: 'true', json: first.json });
    expect(owedCents('21000003')).toBe(before - 200);
    // Without a request id, each request is its own: the kiosk asked twice.
    await post('/fees/payments', { ...payment, requestId: undefined });
    expect(owedCents('21000003')).toBe(before - 400);
  });

  it('joins a payment sent again while the ILS is still working on the first', async () => {
    const before = owedCents('21000003');
    ils.setFaults({ latencyMs: 300 });
    try {
      const payment = { patron: '21000003', amount: '1.00', requestId: randomUUID() };
      const [first, again] = await Promise.all([
        post('/fees/payments', payment),
        post('/fees/payments', payment),
      ]);
      expect(first.status).toBe(200);
      expect(again.json).toEqual(first.json);
    } finally {
      ils.setFaults({});
    }
    expect(owedCents('21000003')).toBe(before - 100);
  });

  it('refuses the same request id with another amount, and pays nothing for it', async () => {
    const before = owedCents('21000003');
    const requestId = randomUUID();
    expect((await post('/fees/payments', { patron: '21000003', amount: '0.50', requestId })).status).toBe(
      200,
    );
    const other = await post('/fees/payments', { patron: '21000003', amount: '5.00', requestId });
    expect(other.status).toBe(409);
    expect(other.json).toMatchObject({
      code: 'request_id_conflict',
      type: 'urn:carrel:problem:request_id_conflict',
    });
    expect(owedCents('21000003')).toBe(before - 50);
  });

  it('answers a checkout sent again with its due date, not "already checked out"', async () => {
    const checkout = { patron: '21000009', pin: '9999', item: '31000006', requestId: randomUUID() };
    const first = await post('/checkouts', checkout);
    const again = await post('/checkouts', checkout);
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, replayed: 'true' });
    expect(again.json.item.dueDate).toEqual(first.json.item.dueDate);
    // The kiosk that had no request id is told the truth of its second request.
    const without = await post('/checkouts', { ...checkout, requestId: undefined });
    expect(without.json.reason).toBe('already_checked_out');
    expect((await post('/checkins', { item: '31000006', requestId: randomUUID() })).status).toBe(200);
  });

  it('answers a refusal sent again with the same refusal', async () => {
    const checkout = { patron: '21000001', pin: '1234', item: '31000009', requestId: randomUUID() };
    const first = await post('/checkouts', checkout);
    const again = await post('/checkouts', checkout);
    expect(first.status).toBe(409);
    expect(again).toMatchObject({ status: 409, replayed: 'true', json: first.json });
    expect(again.json).toMatchObject({
      reason: 'item_on_hold_for_another',
      screenMessages: ['Item is on hold for another patron'],
    });
  });

  it('answers a checkout whose answer the ILS lost with the checkout the SIP2 client found', async () => {
    ils.setFaults({ loseAnswers: { type: 'checkout', times: 1 } });
    const checkout = { patron: '21000009', pin: '9999', item: '31000007', requestId: randomUUID() };
    const first = await post('/checkouts', checkout);
    ils.setFaults({});
    expect(first.status).toBe(200);
    await waitForDevice(api, 'ils', 'online');
    const again = await post('/checkouts', checkout);
    expect(again).toMatchObject({ status: 200, replayed: 'true', json: first.json });
  });

  it('calls a renewal whose answer the ILS lost in doubt, and never sends it again', async () => {
    // A renewal's lost answer cannot be told from the item (it was charged before and after).
    const renewals = () => ils.state.item('31000001')!.loan!.renewals;
    const before = renewals();
    ils.setFaults({ loseAnswers: { type: 'renew', times: 1 } });
    const renewal = { patron: '21000001', pin: '1234', item: '31000001', requestId: randomUUID() };
    const first = await post('/renewals', renewal);
    ils.setFaults({});
    expect(first.status).toBe(503);
    expect(first.json.code).toBe('ils_connection_lost');
    // The ILS did renew it; the kiosk never heard.
    expect(renewals()).toBe(before + 1);
    await waitForDevice(api, 'ils', 'online');
    const again = await post('/renewals', renewal);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'request_in_doubt' });
    expect(again.json.detail).toMatch(/may have been done/);
    expect(renewals()).toBe(before + 1);
  });

  it('tries a renewal the ILS could not read (96 past the limit) again when it is sent again with its request id: nothing was done', async () => {
    const renewals = () => ils.state.item('31000001')!.loan!.renewals;
    const before = renewals();
    // The ILS asks for the renewal again every time (96), past the link's 3 resends: it read nothing, did nothing.
    ils.setFaults({ resendRequests: { type: 'renew', times: 4 } });
    const renewal = { patron: '21000001', pin: '1234', item: '31000001', requestId: randomUUID() };
    const first = await post('/renewals', renewal);
    ils.setFaults({});
    expect(first.status).toBe(502);
    expect(first.json.code).toBe('ils_resend_limit');
    expect(renewals()).toBe(before);
    // IT puts the link right; the kiosk sends the same request again: it is done, once.
    const again = await post('/renewals', renewal);
    expect(again.json.code).not.toBe('request_in_doubt');
    expect(again.status).toBe(200);
    expect(again.replayed).toBeNull();
    expect(renewals()).toBe(before + 1);
    // And a third time, it is the answer given again, not a second renewal.
    expect(await post('/renewals', renewal)).toMatchObject({
      status: 200,
      replayed: 'true',
      json: again.json,
    });
    expect(renewals()).toBe(before + 1);
  });

  it('does a request sent twice over MQTT (delivered twice, new transactions) once', async () => {
    const before = owedCents('21000006');
    expect(before).toBeGreaterThan(0);
    const client = await mqtt.connectAsync(desk.urls().mqtt!, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'kiosk-ids',
    });
    try {
      const base = 'carrel/library/desk-1/clients/kiosk-ids';
      const responses = new Map<string, { status: string; data: unknown }>();
      client.on('message', (_topic, payload) => {
        const envelope = JSON.parse(String(payload));
        responses.set(envelope.transaction, envelope);
      });
      await client.subscribeAsync(`${base}/response/#`);
      const data = { patron: '21000006', amount: '0.25', requestId: randomUUID() };
      for (const transaction of ['m1', 'm2'])
        await client.publishAsync(
          `${base}/request/circulation.feePaid`,
          JSON.stringify({ transaction, data }),
          {
            qos: 1,
          },
        );
      await expect.poll(() => responses.size, { timeout: 5000 }).toBe(2);
      expect(responses.get('m1')).toMatchObject({ status: 'ok', data: { accepted: true } });
      expect(responses.get('m2')!.data).toEqual(responses.get('m1')!.data);
    } finally {
      await client.endAsync();
    }
    expect(owedCents('21000006')).toBe(before - 25);
  });

  it('records a cash box emptied once when staff press again, and opens one payment for a kiosk asking twice', async () => {
    await waitForDevice(api, 'coins-1', 'online', 15_000);
    const emptying = { countedMinor: 0, note: 'evening', requestId: randomUUID() };
    const first = await post('/cash-devices/coins-1/cash-box/emptyings', emptying);
    const again = await post('/cash-devices/coins-1/cash-box/emptyings', emptying);
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, replayed: 'true', json: { id: first.json.id } });
    const other = await post('/cash-devices/notes-1/cash-box/emptyings', emptying);
    expect(other.json.code).toBe('request_id_conflict');

    const opening = {
      patron: '21000003',
      purpose: { kind: 'print-topup', amountMinor: 200 },
      devices: ['coins-1'],
      requestId: randomUUID(),
    };
    const opened = await post('/payments', opening);
    const openedAgain = await post('/payments', opening);
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    expect(openedAgain).toMatchObject({ status: 201, replayed: 'true', json: { id: opened.json.id } });
    const response = await fetch(`${api}/api/v1/payments/${opened.json.id}`, { method: 'DELETE' });
    expect(response.status).toBeLessThan(300);
  });

  it('prints one receipt for a kiosk that asks twice with one request id', async () => {
    const sim = desk.simulators.handle(printerSimulators, 'printer-sim')!;
    await waitForDevice(api, 'receipt-1', 'online');
    const before = sim.receipts().length;
    const receipt = {
      template: 'checkout',
      data: {
        patron: { name: 'Zoë Åström' },
        loans: [{ title: 'Dune', barcode: '31000005', dueDate: '2026-12-24' }],
      },
      requestId: randomUUID(),
    };
    const first = await post('/printers/receipt-1/receipts', receipt);
    const again = await post('/printers/receipt-1/receipts', receipt);
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, replayed: 'true', json: { id: first.json.id } });
    await expect.poll(() => sim.receipts().length, { timeout: 5000 }).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sim.receipts()).toHaveLength(before + 1);
  });

  it('takes the request id from an Idempotency-Key header, quoted as the IETF draft writes it or bare', async () => {
    const before = owedCents('21000003');
    const payment = { patron: '21000003', pin: '3333', amount: '1.50' };
    const id = randomUUID();
    const first = await post('/fees/payments', payment, { 'Idempotency-Key': `"${id}"` });
    const again = await post('/fees/payments', payment, { 'Idempotency-Key': id });
    // The header and the body's requestId are one id: a client may send either.
    const inBody = await post('/fees/payments', { ...payment, requestId: id });
    const both = await post('/fees/payments', { ...payment, requestId: id }, { 'Idempotency-Key': id });
    expect(first).toMatchObject({ status: 200, replayed: null });
    for (const replay of [again, inBody, both])
      expect(replay).toMatchObject({ status: 200, replayed: 'true', json: first.json });
    expect(owedCents('21000003')).toBe(before - 150);
    // The same key with another amount is another request under that key: refused, nothing paid.
    const other = await post('/fees/payments', { ...payment, amount: '0.50' }, { 'Idempotency-Key': id });
    expect(other).toMatchObject({ status: 409, json: { code: 'request_id_conflict' } });
    expect(owedCents('21000003')).toBe(before - 150);
  });

  it('refuses an Idempotency-Key it cannot use, before anything is done', async () => {
    const before = owedCents('21000003');
    const payment = { patron: '21000003', amount: '1.00' };
    const refused = [
      await post(
        '/fees/payments',
        { ...payment, requestId: randomUUID() },
        { 'Idempotency-Key': randomUUID() },
      ),
      await post('/fees/payments', payment, { 'Idempotency-Key': '"unterminated-8e03978e' }),
      await post('/fees/payments', payment, { 'Idempotency-Key': '1' }),
      await post('/fees/payments', payment, { 'Idempotency-Key': `${randomUUID()}, ${randomUUID()}` }),
    ];
    for (const answer of refused)
      expect(answer).toMatchObject({
        status: 400,
        json: { code: 'invalid_request', errors: [{ path: 'header.Idempotency-Key' }] },
      });
    expect(owedCents('21000003')).toBe(before);
  });

  it('documents the request id in the OpenAPI document', async () => {
    const document = (await (await fetch(`${api}/docs/openapi.json`)).json()) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: unknown }> } } }>;
    };
    for (const path of [
      '/api/v1/checkouts',
      '/api/v1/checkins',
      '/api/v1/fees/payments',
      '/api/v1/holds',
      '/api/v1/payments',
      '/api/v1/cards',
      '/api/v1/payments/{id}/payouts',
      '/api/v1/cash-devices/{id}/cash-box/emptyings',
      '/api/v1/printers/{id}/receipts',
      '/api/v1/sessions',
    ])
      expect(JSON.stringify(document.paths[path]?.post?.requestBody), path).toContain('requestId');
  });

  it('documents the Idempotency-Key header on exactly the operations whose body takes a requestId', async () => {
    interface Operation {
      operationId: string;
      parameters?: Array<{ name: string; in: string }>;
      requestBody?: { content: Record<string, { schema: unknown }> };
    }
    const document = (await (await fetch(`${api}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, unknown> };
    };
    // Whether a body takes a requestId, read from the JSON Schema zod wrote (refs followed), not from the route.
    const takesRequestId = (schema: unknown, seen = new Set<unknown>()): boolean => {
      if (schema === null || typeof schema !== 'object' || seen.has(schema)) return false;
      seen.add(schema);
      const node = schema as Record<string, unknown>;
      if (typeof node.$ref === 'string')
        return takesRequestId(document.components.schemas[node.$ref.split('/').pop()!], seen);
      if (node.properties && Object.hasOwn(node.properties as object, 'requestId')) return true;
      return ['anyOf', 'oneOf', 'allOf'].some(
        (key) => Array.isArray(node[key]) && (node[key] as unknown[]).some((s) => takesRequestId(s, seen)),
      );
    };
    const withHeader: string[] = [];
    const withRequestId: string[] = [];
    for (const operations of Object.values(document.paths))
      for (const operation of Object.values(operations)) {
        if (operation.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'))
          withHeader.push(operation.operationId);
        const schema = operation.requestBody?.content['application/json']?.schema;
        if (takesRequestId(schema)) withRequestId.push(operation.operationId);
      }
    expect(withRequestId.length).toBeGreaterThanOrEqual(15);
    expect(withHeader.sort()).toEqual(withRequestId.sort());
  });
});
