import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import type { SessionItemView, SessionUpdate, SessionView } from '../../src/gateway/sessions/index.js';
import { waitForDevice, withIlsAt } from '../helpers/desk.js';
import { padSessionDesk } from '../helpers/pad-session-desk.js';
import { until } from '../helpers/until.js';

/**
 * What a kiosk shows of a session is what its WebSocket said: the whole session, then each item as
 * it changes. It must agree with GET of the session and with the receipt. The sample library's ILS
 * simulator over SIP2, hanging for a while (a short request timeout); the FEIG pad simulator over
 * TCP with real ISO 28560-3 tags.
 */
let ils: IlsSimulator;

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
}, 30_000);

afterAll(async () => {
  await ils?.close();
});

const session = padSessionDesk((config) =>
  withIlsAt(config, ils.port, (link) => ({ ...link, requestTimeoutMs: 1_500, heartbeatSeconds: 5 })),
);
const { call, pad, placeTag: placeItem, openCheckout } = session;

const placeTag = (item: string, set?: { part: number; parts: number }): string =>
  placeItem(item, set ? { set } : {});

/** The items as a kiosk following the WebSocket knows them: a `session` replaces them all, an `item` one. */
async function follow(id: string) {
  const socket = new WebSocket(`${session.desk().api.replace('http', 'ws')}/api/v1/sessions/${id}/events`);
  const items = new Map<string, SessionItemView>();
  socket.on('message', (raw) => {
    const update = JSON.parse(String(raw)) as SessionUpdate;
    if (update.event === 'item') items.set(update.data.item, update.data);
    else if (update.event === 'session' || update.event === 'ended') resetTo(items, update.data.items);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, items };
}

function resetTo(items: Map<string, SessionItemView>, list: readonly SessionItemView[]): void {
  items.clear();
  for (const item of list) items.set(item.item, item);
}

const stateOf = (items: Iterable<SessionItemView>) => [...items].map((item) => [item.item, item.state]);

describe('the WebSocket, GET of the session and the receipt agree', () => {
  it('a part of a set taken off the pad while the library system looked its title up is gone from the WebSocket too', async () => {
    const opened = await openCheckout('21000009', '9999');
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    const live = await follow(id);
    // The Lord of the Rings (boxed set), three parts: the first laid down alone while the library
    // system hangs, so its title look-up fails only after the request timeout.
    ils.setFaults({ hang: true });
    const part = placeTag('31000015', { part: 1, parts: 3 });
    await until(() => (live.items.get('31000015')?.state === 'incomplete_set' ? true : undefined));
    pad().remove(part);
    await until(() => (live.items.has('31000015') ? undefined : true), 5_000, 'the set withdrawn');
    // The look-up's end comes after it was taken away: the set is no part of the session.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    ils.setFaults({});
    await waitForDevice(session.desk().api, 'ils', 'online', 15_000);
    // Dune, borrowed.
    placeTag('31000005');
    await until(() => (live.items.get('31000005')?.state === 'checked_out' ? true : undefined), 10_000);
    const got = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
    expect(stateOf(got.items)).toEqual([['31000005', 'checked_out']]);
    expect(stateOf(live.items.values())).toEqual(stateOf(got.items));
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.data.loans.map((loan: { barcode: string }) => loan.barcode)).toEqual([
      '31000005',
    ]);
    live.socket.close();
    for (const tag of pad().tags()) pad().remove(String(tag.uid));
    await call('POST', '/api/v1/checkins', { item: '31000005' });
  }, 40_000);
});
