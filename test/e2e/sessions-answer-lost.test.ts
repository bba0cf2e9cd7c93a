import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { SessionItemView, SessionView } from '../../src/gateway/sessions/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from '../helpers/desk.js';

/**
 * An item whose checkout (or checkin) reached the library system and whose answer was lost, asked
 * for again over the sessions API — as a kiosk front end other than ours does at once. The desk's
 * SIP2 link to the ILS simulator over TCP, its faults losing answers after acting on them; the
 * simulated library's loans are what the ILS did.
 */
let desk: TestDesk;

beforeAll(async () => {
  // A short request timeout: a lost look-up (tried twice) fails in two seconds, not twenty.
  desk = await startTestDesk((config) => ({
    ...withIls(config, (ils) => ({ ...ils, requestTimeoutMs: 1_000 })),
    mqtt: { mode: 'off' },
  }));
  await waitForDevice(desk.api, 'ils', 'online');
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

const ils = () => desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
/** Whether the ILS has answered 96 past the link's limit: the link stays degraded for a while then. */
let unreadSeen = false;

afterEach(async () => {
  ils().setFaults({});
  // Degraded after the ILS could not read a request (the last test): a while, and usable.
  await waitForDevice(desk.api, 'ils', unreadSeen ? 'degraded' : 'online', 15_000);
  const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: SessionView[] };
  for (const session of sessions)
    if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
  for (const item of ['31000005', '31000006']) ils().state.setLoan(ils().state.item(item)!, undefined);
});

// biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
type Json = any;

const api = jsonApi(() => desk.api);
const call = (method: string, path: string, body?: unknown) => api<Json>(method, path, body);

async function openCheckout(): Promise<string> {
  const opened = await call('POST', '/api/v1/sessions', {
    mode: 'checkout',
    patron: '21000009',
    pin: '9999',
  });
  expect(opened.status).toBe(201);
  return opened.body.id as string;
}

const ask = (session: string, item: string) => call('POST', `/api/v1/sessions/${session}/items`, { item });

/** The loan the simulated library holds for the item: who has it, and how often it was renewed. */
const loanOf = (item: string) => {
  const loan = ils().state.item(item)?.loan;
  return loan === undefined ? undefined : { patron: loan.patron, renewals: loan.renewals };
};

describe('an item whose answer was lost, asked for again', () => {
  it('is found lent to the patron and said checked out, without a second checkout', async () => {
    const session = await openCheckout();
    // The ILS lends Dune and its answer is lost; the look-up that would have settled it is lost too.
    ils().setFaults({
      loseAnswers: { type: 'checkout', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    const first = await ask(session, '31000005');
    expect(first.status).toBe(200);
    expect(first.body as SessionItemView).toMatchObject({ state: 'failed', answerLost: true });
    expect(loanOf('31000005')).toEqual({ patron: '21000009', renewals: 0 });
    ils().setFaults({});
    await waitForDevice(desk.api, 'ils', 'online', 15_000);

    // Another kiosk front end tries it again at once. Checking it out again was refused ('Item is
    // already checked out to you': the patron told no, the tag left secured for the gate) — or, at
    // an ILS that renews on checkout, renewed it.
    const again = await ask(session, '31000005');
    expect(again.status).toBe(200);
    expect(again.body as SessionItemView).toMatchObject({ item: '31000005', state: 'checked_out' });
    expect(again.body.answerLost).toBeUndefined();
    expect(again.body.dueDate?.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(loanOf('31000005')).toEqual({ patron: '21000009', renewals: 0 });
    const ended = await call('POST', `/api/v1/sessions/${session}/end`, { receipt: 'data' });
    // On the receipt: it is lent.
    expect(ended.body.receipt.data.loans).toEqual([
      expect.objectContaining({ barcode: '31000005', title: 'Dune' }),
    ]);
  });

  it('is refused, sending nothing, while the library system cannot say whether it was done', async () => {
    const session = await openCheckout();
    ils().setFaults({
      loseAnswers: { type: 'checkout', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    expect((await ask(session, '31000005')).body).toMatchObject({ state: 'failed', answerLost: true });
    // Still no look-up answered: the checkout must not be sent again blind.
    ils().setFaults({ ignoreRequests: { type: 'itemInformation', times: 1000 } });
    const again = await ask(session, '31000005');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('item_outcome_unknown');
    expect(again.body.detail).toMatch(/may already have .*ask staff/i);
    ils().setFaults({});
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    const view = (await call('GET', `/api/v1/sessions/${session}`)).body as SessionView;
    expect(view.items.find((i) => i.item === '31000005')).toMatchObject({
      state: 'failed',
      answerLost: true,
    });
    expect(loanOf('31000005')).toEqual({ patron: '21000009', renewals: 0 });
  });

  it('a return asked for again while the library system is away is refused and still said possibly done; back, it is found checked in', async () => {
    // Beloved is out to the patron; she brings it back to a return kiosk.
    const beloved = ils().state.item('31000006')!;
    ils().state.setLoan(beloved, {
      patron: '21000009',
      item: '31000006',
      checkedOutAt: new Date(),
      due: new Date(Date.now() + 86_400_000),
      renewals: 0,
    });
    const opened = await call('POST', '/api/v1/sessions', { mode: 'return' });
    expect(opened.status).toBe(201);
    const session = opened.body.id as string;
    ils().setFaults({
      loseAnswers: { type: 'checkin', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    expect((await ask(session, '31000006')).body).toMatchObject({ state: 'failed', answerLost: true });
    expect(loanOf('31000006')).toBeUndefined(); // the ILS took it back
    // The library system goes away. Asked again, the return failed once more without reaching it —
    // and the item lost its answerLost, as if nothing had been done: free to be checked in again.
    ils().setFaults({ hang: true });
    await waitForDevice(desk.api, 'ils', 'offline', 30_000);
    const again = await ask(session, '31000006');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('item_outcome_unknown');
    expect(again.body.detail).toMatch(/may already have checked in .*ask staff/i);
    const view = (await call('GET', `/api/v1/sessions/${session}`)).body as SessionView;
    expect(view.items.find((i) => i.item === '31000006')).toMatchObject({
      state: 'failed',
      answerLost: true,
    });
    // Back: found checked in, and said so (no second checkin, which can clear a hold trap).
    ils().setFaults({});
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    const back = await ask(session, '31000006');
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ item: '31000006', state: 'checked_in', title: 'Beloved' });
    expect(back.body.answerLost).toBeUndefined();
  }, 60_000);

  it('is checked out when the library system never did it', async () => {
    const session = await openCheckout();
    // The link drops as the checkout reaches the ILS, which does nothing; the look-up fails with it.
    ils().setFaults({ dropAfterMessages: 0 });
    expect((await ask(session, '31000006')).body).toMatchObject({ state: 'failed', answerLost: true });
    expect(loanOf('31000006')).toBeUndefined();
    ils().setFaults({});
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    const again = await ask(session, '31000006');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ state: 'checked_out' });
    expect(loanOf('31000006')).toEqual({ patron: '21000009', renewals: 0 });
  });

  it('not done because the library system is away: says why in words, as the checkout route does', async () => {
    const session = await openCheckout();
    // The library system stops answering: the first checkout is sent and never answered.
    ils().setFaults({ hang: true });
    const unanswered = await ask(session, '31000006');
    expect(unanswered.body).toMatchObject({ item: '31000006', state: 'failed', answerLost: true });
    expect(unanswered.body.message).toMatch(/no answer from the ILS/);
    await waitForDevice(desk.api, 'ils', 'offline', 30_000);
    const item = await ask(session, '31000005');
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({ item: '31000005', state: 'failed', reason: 'ils_offline' });
    expect(item.body.answerLost).toBeUndefined();
    // A kiosk shows the patron (or logs for staff) what went wrong: words, not only a code — the
    // words a checkout at the circulation route gives for the same trouble.
    const direct = await call('POST', '/api/v1/checkouts', {
      patron: '21000009',
      pin: '9999',
      item: '31000026',
    });
    expect(direct.body).toMatchObject({ code: 'ils_offline' });
    expect(item.body.message).toBe(direct.body.detail);
    // The session says it too.
    const view = (await call('GET', `/api/v1/sessions/${session}`)).body as SessionView;
    expect(view.items.find((i) => i.item === '31000005')).toMatchObject({ message: direct.body.detail });
    expect(loanOf('31000005')).toBeUndefined();
  }, 60_000);
  // Runs last: the link stays degraded for a while after (its errorDetection or charset may be wrong).
  it('could not be read by the library system (96 each time it was sent): not said possibly done, and asked again it is simply tried', async () => {
    const session = await openCheckout();
    // The ILS reads none of the four sends (the first and the link's three resends): nothing is done.
    unreadSeen = true;
    ils().setFaults({ resendRequests: { type: 'checkout', times: 4 } });
    const unread = await ask(session, '31000006');
    expect(unread.body).toMatchObject({ item: '31000006', state: 'failed', reason: 'ils_resend_limit' });
    expect(unread.body.answerLost).toBeUndefined();
    expect(loanOf('31000006')).toBeUndefined();
    ils().setFaults({});
    const again = await ask(session, '31000006');
    expect(again.body).toMatchObject({ state: 'checked_out' });
    expect(loanOf('31000006')).toEqual({ patron: '21000009', renewals: 0 });

    // A renewal the ILS could not read is not "possibly done" either.
    ils().setFaults({ resendRequests: { type: 'renew', times: 4 } });
    const renewals = await call('POST', `/api/v1/sessions/${session}/renewals`, { item: '31000006' });
    expect(renewals.status).toBe(200);
    expect(renewals.body.renewals).toEqual([
      expect.objectContaining({ item: '31000006', ok: false, reason: 'ils_resend_limit' }),
    ]);
    expect(renewals.body.renewals[0].answerLost).toBeUndefined();
    expect(loanOf('31000006')).toEqual({ patron: '21000009', renewals: 0 });
  });
});
