import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Offline mode end to end on the simulated desk: the ILS simulator goes away,
 * checkouts over HTTP are accepted into the offline journal, staff see them; a
 * new ILS simulator comes up on the same port and the desk replays the journal
 * by itself, exactly once, with a conflict for an item the ILS lent meanwhile.
 */
let testDesk: TestDesk;
let api: string;
let ws: WebSocket;
let newIls: IlsSimulator | undefined;
const events: Array<{ type: string; data: Record<string, unknown> }> = [];
const rawEvents: string[] = [];

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    offline: {
      ...config.offline,
      enabled: true,
      checkouts: true,
      checkins: true,
      maxCheckoutsPerPatron: 3,
      maxTransactionsTotal: 100,
    },
  }));
  api = testDesk.api;
  ws = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events`);
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    if (message.event !== 'device.event' || message.data.device !== 'ils') return;
    rawEvents.push(String(raw));
    events.push({ type: message.data.type, data: message.data.data });
  });
  await new Promise((resolve) => ws.once('open', resolve));
  await waitForDevice(api, 'ils', 'online');
});

afterAll(async () => {
  ws?.close();
  await testDesk?.stop();
  await newIls?.close();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${api}/api/v1`, method, path, body);

const waitUntil = <T>(probe: () => T | undefined | Promise<T | undefined>) => until(probe, 20_000);

describe('offline mode', () => {
  const patron = '21000009';
  // Dune is on the shelf; The Left Hand of Darkness is on loan to 21000002 in the sample library.
  const available = '31000005';
  const lentToAnother = '31000003';
  let okId = '';
  let conflictId = '';

  it('accepts checkouts offline while the ILS is away, and staff see them', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const port = ils.port;
    await ils.close();
    await waitForDevice(api, 'ils', 'offline', 15_000);

    const first = await call('POST', '/checkouts', { patron, pin: '9999', item: available });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      ok: true,
      offline: true,
      item: { id: available },
      dueDate: null,
      transaction: { sequence: expect.any(Number) },
    });
    expect(first.json.screenMessages[0]).toMatch(/offline/i);
    okId = first.json.transaction.id;
    const second = await call('POST', '/checkouts', { patron, item: lentToAnother });
    expect(second.json).toMatchObject({ ok: true, offline: true });
    conflictId = second.json.transaction.id;

    const listed = await call('GET', '/offline/transactions?state=pending');
    expect(listed.status).toBe(200);
    expect(listed.json.transactions.map((tx: { id: string }) => tx.id)).toEqual([okId, conflictId]);
    expect(listed.json.transactions[0]).toMatchObject({
      kind: 'checkout',
      patron,
      item: available,
      state: 'pending',
    });
    expect((await call('GET', '/offline/summary')).json).toMatchObject({ pending: 2, outstanding: 2 });

    // The ILS comes back, a new one on the same port: the desk reconnects and replays by itself.
    newIls = await startIlsSimulator({ fixture: sampleFixturePath(), port });
    await waitForDevice(api, 'ils', 'online', 20_000);
    await waitUntil(async () => {
      const summary = (await call('GET', '/offline/summary')).json;
      return summary.pending === 0 && summary.replaying === 0 ? summary : undefined;
    });
  });

  it('replays the accepted checkout exactly once and says so on the WebSocket', async () => {
    const done = (await call('GET', '/offline/transactions?state=done')).json.transactions;
    expect(done).toEqual([expect.objectContaining({ id: okId, state: 'done', reason: 'sent' })]);
    const loans = newIls!.state.loansOf(patron).filter((loan) => loan.item === available);
    expect(loans).toHaveLength(1);
    await waitUntil(() => events.find((e) => e.type === 'offline.replayed' && e.data.id === okId));
  });

  it('reports the item the ILS lent to someone else as a conflict, with an event and no patron id', async () => {
    const conflicts = (await call('GET', '/offline/transactions?state=conflict')).json.transactions;
    expect(conflicts).toEqual([
      expect.objectContaining({ id: conflictId, item: lentToAnother, reason: 'item_checked_out_to_another' }),
    ]);
    const event = await waitUntil(() => events.find((e) => e.type === 'offline.conflict'));
    expect(event.data).toMatchObject({
      id: conflictId,
      item: lentToAnother,
      reason: 'item_checked_out_to_another',
    });
    expect(rawEvents.join('\n')).not.toContain(patron);
    // The ILS still has the item with its borrower: nothing was sent.
    expect(newIls!.state.loansOf(patron).some((loan) => loan.item === lentToAnother)).toBe(false);
  });

  it('lets staff discard a conflict, and refuses to resolve it twice', async () => {
    const resolved = await call('POST', `/offline/transactions/${conflictId}/resolve`, { action: 'discard' });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({ id: conflictId, state: 'discarded' });
    const again = await call('POST', `/offline/transactions/${conflictId}/resolve`, { action: 'retry' });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('offline_not_in_conflict');
    expect((await call('GET', '/offline/summary')).json).toMatchObject({
      conflict: 0,
      done: 1,
      discarded: 1,
    });
  });
});
