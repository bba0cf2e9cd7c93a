import { rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import {
  type Json,
  jsonCaller,
  startTestDesk,
  type TestDesk,
  waitForDevice,
  withIlsAt,
} from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A kiosk whose answer was lost on the way back (its Wi-Fi dropped while the library system was
 * slow) sends the same session call again with the same Idempotency-Key: it hears what was done,
 * and nothing is done twice. The sample library's ILS simulator over SIP2 answers slowly while the
 * first call runs, and the kiosk gives up on it (its connection closed) before sending it again;
 * what the library system did is read from the simulator, what was printed from the printer's.
 */
let ils: IlsSimulator;
let desk: TestDesk;
const call = jsonCaller(() => desk.api);

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  desk = await startTestDesk((config) => ({ ...withIlsAt(config, ils.port), mqtt: { mode: 'off' } }));
  await waitForDevice(desk.api, 'ils', 'online', 15_000);
  await waitForDevice(desk.api, 'receipt-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await desk?.stop();
  await ils?.close();
});

afterEach(async () => {
  ils.setFaults({});
  const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: Json[] };
  for (const session of sessions)
    if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
});

async function openSession(patron: string, pin: string): Promise<string> {
  const opened = await call('POST', '/api/v1/sessions', { mode: 'checkout', patron, pin });
  expect(opened.status).toBe(201);
  return opened.body.id;
}

/**
 * A POST (with an Idempotency-Key, or none) whose answer the kiosk never reads: its connection is
 * closed after `ms`.
 */
async function postAndLoseAnswer(
  path: string,
  body: unknown,
  key: string | undefined,
  ms: number,
): Promise<void> {
  const abort = new AbortController();
  const sent = fetch(`${desk.api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  abort.abort();
  await expect(sent).rejects.toThrow();
}

async function post(path: string, body: unknown, key: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${desk.api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('a session call sent again after its answer was lost', () => {
  it('ending with a printed receipt: the kiosk hears the receipt it printed, printed once', async () => {
    const id = await openSession('21000009', '9999');
    expect((await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000005' })).body.state).toBe(
      'checked_out',
    );
    const printer = desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    const key = 'end-0f6c2b1e-7d4a-4b1f-9a51-1c2d3e4f5a6b';
    // The end-session (35) is answered 1.5 s late: the kiosk gives up on its call after 0.4 s.
    ils.setFaults({ latencyMs: 1_500 });
    await postAndLoseAnswer(`/api/v1/sessions/${id}/end`, { receipt: 'print' }, key, 400);
    const again = await post(`/api/v1/sessions/${id}/end`, { receipt: 'print' }, key);
    expect(again.status).toBe(200);
    expect(again.body.receipt).toMatchObject({ kind: 'printed', printer: 'receipt-1' });
    expect(again.body.session).toMatchObject({ id, state: 'ended', endReason: 'ended' });
    await until(() => (printer.receipts().length > before ? true : undefined), 10_000, 'the receipt printed');
    // And once more, after it all finished: the same answer, said to be the first one again.
    const late = await fetch(`${desk.api}/api/v1/sessions/${id}/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ receipt: 'print' }),
    });
    expect(late.status).toBe(200);
    expect(late.headers.get('idempotent-replayed')).toBe('true');
    expect(((await late.json()) as Json).receipt.job.id).toBe(again.body.receipt.job.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(printer.receipts().length).toBe(before + 1);
    // The same key for another ending is another request: refused in words, nothing done.
    const other = await post(`/api/v1/sessions/${id}/end`, { receipt: 'data' }, key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('request_id_conflict');
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  }, 30_000);

  it('ending with the receipt as data: the kiosk gets the receipt to e-mail, not "session ended"', async () => {
    const id = await openSession('21000009', '9999');
    await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' });
    const key = { requestId: 'end-data-5b7e9c1d-2a3f-4e6b-8c9d-0e1f2a3b4c5d' };
    const first = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data', ...key });
    expect(first.status).toBe(200);
    const again = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data', ...key });
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual(first.body.receipt);
    expect(again.body.receipt.data.loans).toMatchObject([{ barcode: '31000026', title: 'Sofies verden' }]);
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  }, 30_000);

  it('cancelling (DELETE): the kiosk hears that its cancel was done, as the first time, not "session ended"', async () => {
    const id = await openSession('21000009', '9999');
    expect((await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' })).body.state).toBe(
      'checked_out',
    );
    // The end-session (35) is answered 1.5 s late: the kiosk gives up on its DELETE after 0.4 s
    // and sends it again, as a client does an idempotent method, while the first is still ending.
    ils.setFaults({ latencyMs: 1_500 });
    const abort = new AbortController();
    const lost = fetch(`${desk.api}/api/v1/sessions/${id}`, { method: 'DELETE', signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 400));
    abort.abort();
    await expect(lost).rejects.toThrow();
    const again = await call('DELETE', `/api/v1/sessions/${id}`);
    expect(again.status).toBe(200);
    expect(again.body.session).toMatchObject({ id, state: 'ended', endReason: 'cancelled' });
    expect(again.body.session.items).toMatchObject([{ item: '31000026', state: 'checked_out' }]);
    expect(again.body.receipt).toEqual({ kind: 'none' });
    expect(again.body.ils).toMatchObject({ ended: true });
    // And once more, after it all finished: the very same answer.
    ils.setFaults({});
    const late = await call('DELETE', `/api/v1/sessions/${id}`);
    expect(late.status).toBe(200);
    expect(late.body).toEqual(again.body);
    // A session that ended another way was not cancelled: a DELETE after it says how it ended.
    const other = await openSession('21000009', '9999');
    const ended = await call('POST', `/api/v1/sessions/${other}/end`, { receipt: 'none' });
    expect(ended.status).toBe(200);
    const cancel = await call('DELETE', `/api/v1/sessions/${other}`);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({
      code: 'session_ended',
      endReason: 'ended',
      endMessage: ended.body.session.endMessage,
    });
    expect(cancel.body.detail).toContain(ended.body.session.endMessage);
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  }, 30_000);

  it('renewing one loan: renewed once, and the kiosk hears that it was', async () => {
    const library = ils.state;
    const due = new Date(Date.now() + 7 * 86_400_000);
    library.setLoan(library.item('31000030')!, {
      patron: '21000009',
      item: '31000030',
      checkedOutAt: new Date(),
      due,
      renewals: 0,
    });
    const id = await openSession('21000009', '9999');
    const key = 'renew-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
    ils.setFaults({ latencyMs: 1_500 });
    await postAndLoseAnswer(`/api/v1/sessions/${id}/renewals`, { item: '31000030' }, key, 400);
    const again = await post(`/api/v1/sessions/${id}/renewals`, { item: '31000030' }, key);
    ils.setFaults({});
    expect(again.status).toBe(200);
    expect(again.body.renewals).toMatchObject([{ item: '31000030', ok: true }]);
    // One renewal spent at the library system, and one in the session (and so on the receipt).
    expect(library.item('31000030')?.loan?.renewals).toBe(1);
    const session = (await call('GET', `/api/v1/sessions/${id}`)).body;
    expect(session.renewals).toMatchObject([{ item: '31000030', ok: true }]);
    library.setLoan(library.item('31000030')!, undefined);
  }, 30_000);

  it('one id for a renewal in the session and again for another call: refused in words, the loan renewed once', async () => {
    const library = ils.state;
    library.setLoan(library.item('31000030')!, {
      patron: '21000009',
      item: '31000030',
      checkedOutAt: new Date(),
      due: new Date(Date.now() + 7 * 86_400_000),
      renewals: 0,
    });
    const id = await openSession('21000009', '9999');
    // A kiosk that renews in the session, hears nothing back, and sends the same renewal again
    // the other way it knows, the circulation route, with the same key: that is the same id for
    // another request, and must not spend a second renewal of the loan.
    const key = 'renew-twice-7e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
    const inSession = await post(`/api/v1/sessions/${id}/renewals`, { item: '31000030' }, key);
    expect(inSession.status).toBe(200);
    expect(inSession.body.renewals).toMatchObject([{ item: '31000030', ok: true }]);
    const outside = await post(
      '/api/v1/renewals',
      { patron: '21000009', pin: '9999', item: '31000030' },
      key,
    );
    expect(outside.status).toBe(409);
    expect(outside.body).toMatchObject({ code: 'request_id_conflict' });
    expect(outside.body.detail).toMatch(/already used for another request/);
    expect(library.item('31000030')?.loan?.renewals).toBe(1);
    // And the other way round: an id a checkout at the circulation route took is not a session's.
    const checkoutKey = 'checkout-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
    const lent = await post(
      '/api/v1/checkouts',
      { patron: '21000009', pin: '9999', item: '31000026' },
      checkoutKey,
    );
    expect(lent.status).toBe(200);
    const renewed = await post(`/api/v1/sessions/${id}/renewals`, { item: '31000030' }, checkoutKey);
    expect(renewed.status).toBe(409);
    expect(renewed.body).toMatchObject({ code: 'request_id_conflict' });
    expect(library.item('31000030')?.loan?.renewals).toBe(1);
    await call('POST', '/api/v1/checkins', { item: '31000026' });
    library.setLoan(library.item('31000030')!, undefined);
  }, 30_000);
});

describe('a session call sent again, as a kiosk sends it', () => {
  it('ending sent again without a requestId after its answer was lost: the same ended session, the receipt printed once', async () => {
    const id = await openSession('21000009', '9999');
    expect((await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' })).body.state).toBe(
      'checked_out',
    );
    const printer = desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    // The end-session (35) is answered 1.5 s late: the kiosk gives up after 0.4 s and sends the
    // same end again — no requestId, as a kiosk that never sent one does.
    ils.setFaults({ latencyMs: 1_500 });
    await postAndLoseAnswer(`/api/v1/sessions/${id}/end`, { receipt: 'print' }, undefined, 400);
    const again = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'print' });
    ils.setFaults({});
    expect(again.status).toBe(200);
    expect(again.body.session).toMatchObject({ id, state: 'ended', endReason: 'ended' });
    expect(again.body.receipt).toMatchObject({ kind: 'printed', printer: 'receipt-1' });
    // Once more after it all finished: the very same answer.
    const late = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'print' });
    expect(late.status).toBe(200);
    expect(late.body).toEqual(again.body);
    await until(() => (printer.receipts().length > before ? true : undefined), 10_000, 'the receipt printed');
    // Another ending than the one done (the receipt as data now) was not done: refused in words.
    const other = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'session_ended', endReason: 'ended' });
    // Nor is a cancel after it: the session ended, it was not cancelled.
    expect((await call('DELETE', `/api/v1/sessions/${id}`)).body.code).toBe('session_ended');
    expect(printer.receipts().length).toBe(before + 1);
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  }, 30_000);

  it("opening sent again with the same requestId and another PIN: refused in words, the first's session not handed out", async () => {
    const requestId = 'open-pin-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
    const first = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patron: '21000009',
      pin: '9999',
      requestId,
    });
    expect(first.status).toBe(201);
    const other = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patron: '21000009',
      pin: '1111',
      requestId,
    });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('request_id_conflict');
    expect(other.body.detail).toMatch(/already used for another request: nothing was done/);
    expect(JSON.stringify(other.body)).not.toMatch(/1111|9999|21000009/);
    // The same request again (the same PIN) is still the first one's answer.
    const again = await fetch(`${desk.api}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'checkout', patron: '21000009', pin: '9999', requestId }),
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as Json).id).toBe(first.body.id);
    const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: Json[] };
    expect(sessions.filter((session) => session.state === 'open')).toHaveLength(1);
  }, 30_000);

  it('opening sent again with its requestId after the session ended: told it ended, with its id, and no second session', async () => {
    const requestId = 'open-ended-4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c';
    const opening = { mode: 'checkout', patron: '21000009', pin: '9999', requestId };
    const first = await call('POST', '/api/v1/sessions', opening);
    expect(first.status).toBe(201);
    const id = first.body.id as string;
    expect((await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000026' })).body.state).toBe(
      'checked_out',
    );
    // Sent again while it is open: the same session, as it stands now (the item in it), not a second one.
    const whileOpen = await call('POST', '/api/v1/sessions', opening);
    expect(whileOpen.status).toBe(201);
    expect(whileOpen.body).toMatchObject({ id, state: 'open', items: [{ item: '31000026' }] });
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'none' });
    expect(ended.status).toBe(200);
    // The kiosk's answer to its first opening was lost; it sends it again after the patron left.
    const again = await call('POST', '/api/v1/sessions', opening);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'session_ended', session: id, endReason: 'ended' });
    expect(again.body.detail).toContain(id);
    expect(again.body.detail).toMatch(/has ended/);
    const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: Json[] };
    expect(sessions.filter((session) => session.state === 'open')).toHaveLength(0);
    expect(
      sessions.filter((session) => session.id !== id && session.startedAt >= first.body.startedAt),
    ).toEqual([]);
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  }, 30_000);

  it('an item checked out with an Idempotency-Key: sent again it is the same answer; the key for another item is refused', async () => {
    const library = ils.state;
    const id = await openSession('21000009', '9999');
    const key = 'item-5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a';
    // The checkout (11) is answered 1.5 s late: the kiosk gives up after 0.4 s and sends it again.
    ils.setFaults({ latencyMs: 1_500 });
    await postAndLoseAnswer(`/api/v1/sessions/${id}/items`, { item: '31000026' }, key, 400);
    const again = await post(`/api/v1/sessions/${id}/items`, { item: '31000026' }, key);
    ils.setFaults({});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ item: '31000026', state: 'checked_out' });
    // Once more after it all finished: the same answer, said to be the first one again; lent once.
    const late = await fetch(`${desk.api}/api/v1/sessions/${id}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ item: '31000026' }),
    });
    expect(late.status).toBe(200);
    expect(late.headers.get('idempotent-replayed')).toBe('true');
    expect(await late.json()).toEqual(again.body);
    expect(library.item('31000026')?.loan).toMatchObject({ patron: '21000009', renewals: 0 });
    // The same key for another item is another request: refused in words, that item not lent.
    const other = await post(`/api/v1/sessions/${id}/items`, { item: '31000030' }, key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('request_id_conflict');
    expect(library.item('31000030')?.loan).toBeUndefined();
    // A body's requestId and a header naming two requests: refused before anything is done.
    const both = await post(
      `/api/v1/sessions/${id}/items`,
      { item: '31000030', requestId: 'item-body-0a1b2c3d-4e5f' },
      'item-header-0a1b2c3d-4e5f',
    );
    expect(both.status).toBe(400);
    expect(both.body.errors).toMatchObject([{ path: 'header.Idempotency-Key' }]);
    expect(library.item('31000030')?.loan).toBeUndefined();
    await call('POST', '/api/v1/checkins', { item: '31000026' });
  }, 30_000);
});

describe('a checkout sent again after Carrel restarted', () => {
  it('is answered from its request id kept on disk: lent once, and the kiosk hears its due date', async () => {
    const library = ils.state;
    const requestId = 'checkout-restart-2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
    const checkout = { patron: '21000009', pin: '9999', item: '31000030', requestId };
    const first = await call('POST', '/api/v1/checkouts', checkout);
    expect(first.status).toBe(200);
    // The kiosk's answer was lost, and Carrel restarts (an update, a crash) on the same database.
    const database = desk.databasePath;
    await desk.desk.stop();
    try {
      desk = await startTestDesk((config) => ({
        ...withIlsAt(config, ils.port),
        mqtt: { mode: 'off' },
        storage: { ...config.storage, path: database },
      }));
      await waitForDevice(desk.api, 'ils', 'online', 15_000);
      const again = await fetch(`${desk.api}/api/v1/checkouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(checkout),
      });
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(first.body);
      // Lent once: not a second checkout, which the library system would count as a renewal.
      expect(library.item('31000030')?.loan).toMatchObject({ patron: '21000009', renewals: 0 });
      // The same id with another PIN, or none, is not the request kept: refused in words, as
      // before the restart — not handed the first patron's due date.
      for (const pin of ['1111', undefined]) {
        const other = await call('POST', '/api/v1/checkouts', { ...checkout, pin });
        expect(other.status, `pin ${pin}`).toBe(409);
        expect(other.body.code).toBe('request_id_conflict');
        expect(other.body.detail).toMatch(/already used for another request: nothing was done/);
        expect(JSON.stringify(other.body)).not.toMatch(/1111|9999|21000009|dueDate/);
      }
      // The PIN is compared through a keyed hash whose key is a file of its own, the owner's alone.
      const key = statSync(join(dirname(database), 'request-ids.key'));
      expect(key.mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dirname(database), { recursive: true, force: true });
      library.setLoan(library.item('31000030')!, undefined);
    }
  }, 45_000);
});
