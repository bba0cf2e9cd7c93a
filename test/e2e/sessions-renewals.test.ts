import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import {
  type Json,
  jsonCaller,
  startTestDesk,
  type TestDesk,
  waitForDevice,
  withIls,
} from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * "Renew my loans" in a self-check session, over the session API, against the sample library's
 * ILS simulator over SIP2 (TCP): what the ILS holds afterwards is read from the simulator. A short
 * request timeout, so that a request the ILS leaves unanswered fails in seconds.
 */
let desk: TestDesk;
let api: string;

beforeAll(async () => {
  desk = await startTestDesk((config) => ({
    ...withIls(config, (ils) => ({ ...ils, requestTimeoutMs: 1_500, heartbeatSeconds: 5 })),
    mqtt: { mode: 'off' },
  }));
  api = desk.api;
  await waitForDevice(api, 'ils', 'online');
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

const ils = () => desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;

afterEach(async () => {
  ils().setFaults({});
  const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: SessionView[] };
  for (const session of sessions)
    if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
});

const call = jsonCaller(() => api);

/** The loan at the simulated library: whose, due when, renewed how often. */
function loanOf(item: string): { patron: string; due: number; renewals: number } | undefined {
  const loan = ils().state.item(item)?.loan;
  return loan && { patron: loan.patron, due: loan.due.getTime(), renewals: loan.renewals };
}

/** The patron's loans at the simulated library are these, each due in a week and never renewed. */
function lend(patron: string, items: readonly string[]): void {
  const library = ils().state;
  for (const loan of library.loansOf(patron)) library.setLoan(library.item(loan.item)!, undefined);
  const due = new Date(Date.now() + 7 * 86_400_000);
  for (const barcode of items)
    library.setLoan(library.item(barcode)!, {
      patron,
      item: barcode,
      checkedOutAt: new Date(),
      due,
      renewals: 0,
    });
}

/** The session views its WebSocket sends, collected. */
async function follow(id: string): Promise<{ sessions: SessionView[]; socket: WebSocket }> {
  const socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/sessions/${id}/events`);
  const sessions: SessionView[] = [];
  socket.on('message', (raw) => {
    const update = JSON.parse(String(raw));
    if (update.event === 'session') sessions.push(update.data);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { sessions, socket };
}

async function openSession(patron: string, pin: string): Promise<string> {
  const opened = await call('POST', '/api/v1/sessions', { mode: 'checkout', patron, pin });
  expect(opened.status).toBe(201);
  return opened.body.id;
}

describe('renewing her loans in a self-check session', () => {
  it('renews the loans she had before, one by one with their new due dates, and not the items she just borrowed', async () => {
    lend('21000001', ['31000001', '31000002']); // Zoë Åström: Pippi Långstrump, Les Misérables
    const id = await openSession('21000001', '1234');
    const borrowed = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000005' }); // Dune
    expect(borrowed.body.state).toBe('checked_out');
    const dune = loanOf('31000005');
    const before = loanOf('31000001')!;

    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
    expect(renewed.status).toBe(200);
    expect(renewed.body.renewals.map((r: Json) => [r.item, r.ok, r.title, typeof r.dueDate?.date])).toEqual([
      ['31000001', true, 'Pippi Långstrump', 'string'],
      ['31000002', true, 'Les Misérables', 'string'],
    ]);
    // Dune, borrowed a minute ago, kept its renewals and its due date (Renew All spent one of them).
    expect(loanOf('31000005')).toEqual(dune);
    expect(loanOf('31000001')).toMatchObject({ patron: '21000001', renewals: 1 });
    expect(loanOf('31000001')!.due).toBeGreaterThan(before.due);

    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    const { loans, notRenewed } = ended.body.receipt.data;
    expect(loans.map((loan: Json) => loan.title)).toEqual([
      'Dune',
      'Pippi Långstrump (renewed)',
      'Les Misérables (renewed)',
    ]);
    expect(notRenewed).toEqual([]);
  }, 30_000);

  it("says why a loan was not renewed in the library system's words, on the screen and on the receipt", async () => {
    lend('21000001', ['31000001', '31000002']);
    ils().state.item('31000002')!.loan!.renewals = 2; // as many as the library allows
    const id = await openSession('21000001', '1234');
    const live = await follow(id);
    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
    expect(renewed.body.renewals).toMatchObject([
      { item: '31000001', ok: true },
      { item: '31000002', ok: false, reason: 'renewal_limit', screenMessages: ['Renewal limit reached'] },
    ]);
    // In words a kiosk can show, the words the renewal route gives for the same refusal.
    const direct = await call('POST', '/api/v1/renewals', {
      patron: '21000001',
      pin: '1234',
      item: '31000002',
    });
    expect(direct.body).toMatchObject({ code: 'renewal_limit' });
    expect(direct.body.detail).toBeTruthy();
    expect(renewed.body.renewals[1].message).toBe(direct.body.detail);
    expect(renewed.body.renewals[0].message).toBeUndefined();
    // The session's WebSocket says it too, and so does GET of the session.
    const heard = await until(
      () => live.sessions.findLast((view) => view.renewals.length === 2)?.renewals[1],
    );
    expect(heard).toMatchObject({ item: '31000002', message: direct.body.detail });
    live.socket.close();
    const view = (await call('GET', `/api/v1/sessions/${id}`)).body as SessionView;
    expect(view.renewals[1]).toMatchObject({ item: '31000002', message: direct.body.detail });
    // And the API's document says what it is.
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is read field by field
    const doc = (await (await fetch(`${api}/docs/openapi.json`)).json()) as any;
    const answer =
      doc.paths['/api/v1/sessions/{id}/renewals'].post.responses['200'].content['application/json'].schema;
    expect(answer.properties.renewals.items.properties.message?.description).toMatch(/words/);
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    expect(ended.body.receipt.data.notRenewed).toEqual([
      { title: 'Les Misérables', barcode: '31000002', note: 'Not renewed: Renewal limit reached' },
    ]);
  }, 30_000);

  it('a loan renewed in the session and then placed on the pad (or scanned) is shown renewed, not refused nor renewed again', async () => {
    lend('21000001', ['31000001', '31000002']);
    const id = await openSession('21000001', '1234');
    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
    expect(renewed.body.renewals).toMatchObject([
      { item: '31000001', ok: true },
      { item: '31000002', ok: true },
    ]);
    expect(loanOf('31000001')?.renewals).toBe(1);
    // She brought the book and lays it on the kiosk too, as she would to renew it: it is hers,
    // renewed a minute ago. Not "already checked out to you" (refused, from an ILS that keeps to
    // the 11's renewal policy), nor a second renewal (from one that renews on a checkout).
    const placed = await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000001' });
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({ item: '31000001', state: 'checked_out', renewal: true });
    expect(placed.body.dueDate).toEqual(renewed.body.renewals[0].dueDate);
    expect(loanOf('31000001')).toMatchObject({ patron: '21000001', renewals: 1 });
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    const { loans, counts } = ended.body.receipt.data;
    expect(loans.map((loan: Json) => loan.title)).toEqual([
      'Pippi Långstrump (renewed)',
      'Les Misérables (renewed)',
    ]);
    expect(counts).toEqual({ checkedOut: 0, renewed: 2 });
  }, 30_000);

  it('still renews every loan at once with Renew All when a caller asks for it by name (all: true)', async () => {
    lend('21000001', ['31000001']);
    const id = await openSession('21000001', '1234');
    await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000005' });
    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, { all: true });
    expect(renewed.body.renewals.map((r: Json) => [r.item, r.ok])).toEqual([
      ['31000001', true],
      ['31000005', true],
    ]);
    expect(loanOf('31000005')?.renewals).toBe(1);
    const both = await call('POST', `/api/v1/sessions/${id}/renewals`, { all: true, item: '31000001' });
    expect(both.status).toBe(400);
  }, 30_000);

  it('renews a rental once the patron accepts its fee, as a checkout asks it', async () => {
    lend('21000009', ['31000012']); // Casablanca, a rental: each renewal charges its fee
    const id = await openSession('21000009', '9999');
    const asked = await call('POST', `/api/v1/sessions/${id}/renewals`, { item: '31000012' });
    expect(asked.status).toBe(200);
    expect(asked.body.renewals).toMatchObject([{ item: '31000012', ok: false, reason: 'fee_required' }]);
    expect(asked.body.renewals[0].message).toContain('1.50 EUR');
    expect(loanOf('31000012')?.renewals).toBe(0);
    const accepted = await call('POST', `/api/v1/sessions/${id}/renewals`, {
      item: '31000012',
      feeAcknowledged: true,
    });
    expect(accepted.body.renewals).toMatchObject([{ item: '31000012', ok: true }]);
    expect(loanOf('31000012')?.renewals).toBe(1);
    // A fee is accepted for a loan named, never for the sweep of her loans.
    const unnamed = await call('POST', `/api/v1/sessions/${id}/renewals`, { feeAcknowledged: true });
    expect(unnamed.status).toBe(400);
  }, 30_000);

  it('shows each of 12 renewals as it comes; when the library system stops answering half-way, what was renewed stays renewed and nothing is sent twice', async () => {
    // Kåre Ødegård: twelve loans, more than one page of the 63's charged items; none a rental, whose
    // renewal asks a fee to be accepted.
    const twelve = ['04', '05', '06', '07', '10', '11', '14', '15', '20', '26', '27', '29'].map(
      (n) => `310000${n}`,
    );
    lend('21000009', twelve);
    const id = await openSession('21000009', '9999');
    const socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/sessions/${id}/events`);
    const progress: Array<{ done: number; total: number; renewals: number }> = [];
    socket.on('message', (raw) => {
      const update = JSON.parse(String(raw));
      if (update.event === 'session' && update.data.renewing)
        progress.push({ ...update.data.renewing, renewals: update.data.renewals.length });
    });
    await new Promise((resolve) => socket.once('open', resolve));

    ils().setFaults({ latencyMs: 150 });
    const asked = call('POST', `/api/v1/sessions/${id}/renewals`, {});
    // Five renewed and answered; then the library system hangs: the sixth is sent and its answer
    // never comes (it may or may not have been renewed).
    await until(() => (progress.some((p) => p.done >= 5) ? true : undefined), 15_000, 'five renewals', 5);
    ils().setFaults({ hang: true });
    const first = (await asked).body.renewals as Json[];
    socket.close();
    ils().setFaults({});

    expect(first.map((r) => r.item)).toEqual(twelve);
    // Norwegian Wood is reserved for another patron: refused, in the library system's words.
    expect(first[4]).toMatchObject({
      item: '31000010',
      title: 'Norwegian Wood',
      ok: false,
      reason: 'item_on_hold_for_another',
      screenMessages: ['Item is on hold for another patron'],
    });
    const renewedFirst = first.filter((r) => r.ok).map((r) => r.item);
    expect(renewedFirst.length).toBeGreaterThanOrEqual(4);
    const lost = first.filter((r) => r.answerLost);
    expect(lost).toHaveLength(1);
    const notTried = first.filter((r) => r.notTried);
    expect(notTried.length).toBe(12 - renewedFirst.length - 2);
    expect(notTried.every((r) => !r.ok && r.reason.startsWith('ils_'))).toBe(true);
    // Each says why in words: the one whose answer never came, and those never sent.
    expect(lost[0].message).toMatch(/no answer from the ILS/);
    for (const { message } of notTried) expect(message).toMatch(/not sent/i);
    // The kiosk saw it go: 'n of 12' as each came back, not one answer after a long wait.
    const answered = first.filter((r) => !r.notTried).length;
    expect(progress.filter((p) => p.done > 0).map((p) => p.done)).toEqual(
      Array.from({ length: answered }, (_, index) => index + 1),
    );
    expect(progress.every((p) => p.total === 12)).toBe(true);
    for (const item of renewedFirst) expect(loanOf(item)?.renewals).toBe(1);
    for (const { item } of notTried) expect(loanOf(item)?.renewals).toBe(0);
    const lostRenewals = loanOf(lost[0].item)?.renewals;

    // The library system answers again; she presses "Renew my loans" again: the loans not tried
    // are renewed; the renewed one, the refused one and the one whose answer was lost are not sent again.
    await waitForDevice(api, 'ils', 'online', 15_000);
    const second = (await call('POST', `/api/v1/sessions/${id}/renewals`, {})).body.renewals as Json[];
    expect(second.map((r) => [r.item, r.ok])).toEqual(notTried.map((r) => [r.item, true]));
    const expected = (item: string) => (item === lost[0].item ? lostRenewals : item === '31000010' ? 0 : 1);
    for (const item of twelve) expect(loanOf(item)?.renewals).toBe(expected(item));

    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'data' });
    const { loans, notRenewed } = ended.body.receipt.data;
    expect(loans).toHaveLength(10);
    expect(notRenewed).toEqual([
      {
        title: 'Norwegian Wood',
        barcode: '31000010',
        note: 'Not renewed: Item is on hold for another patron',
      },
      {
        title: expect.any(String),
        barcode: lost[0].item,
        note: 'Not confirmed: the library system did not answer. Please ask staff whether it was renewed.',
      },
    ]);
  }, 60_000);
});
