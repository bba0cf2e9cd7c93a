/**
 * A request id sent again with another fee payment or another cash box emptying, over HTTP on the
 * simulated desk (the SIP2 client over TCP to the ILS simulator, the coin and note acceptors'
 * simulators over TCP, SQLite on disk). A kiosk or desk page whose answer was lost sends its
 * request again with the same id and is answered as the first time; the same id with a request
 * that differs is refused 409 request_id_conflict naming what differs, and nothing is done.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let desk: TestDesk;

beforeAll(async () => {
  desk = await startTestDesk((config) => ({ ...config, mqtt: { mode: 'off' } }));
  await waitForDevice(desk.api, 'ils', 'online');
  await waitForDevice(desk.api, 'coins-1', 'online', 15_000);
  await waitForDevice(desk.api, 'notes-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;
const call = jsonApi(() => desk.api);
const post = (path: string, body: unknown) => call<Json>('POST', path, body);

const ils = () => desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
/** What the patron owes at the simulated library, in cents, and the fees one by one. */
const owed = (patron: string) =>
  ils()
    .state.patron(patron)!
    .fees.reduce((sum, fee) => sum + fee.amountCents, 0);
const feeIds = (patron: string) =>
  ils()
    .state.patron(patron)!
    .fees.map((fee) => fee.id);

/** The refusal of a request id used again for another request: what it names, and that nothing was done. */
function expectConflict(answer: { status: number; body: Json }, named: string | undefined) {
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject({ code: 'request_id_conflict' });
  expect(answer.body.detail).toContain('nothing was done');
  if (named !== undefined) expect(answer.body.detail).toContain(`another ${named}`);
}

describe('a fee payment sent again with its request id', () => {
  it('is answered as the first, paid once', async () => {
    const before = owed('21000003');
    const payment = { patron: '21000003', pin: '3333', amount: '0.40', requestId: randomUUID() };
    const first = await post('/api/v1/fees/payments', payment);
    expect(first.status).toBe(200);
    const again = await post('/api/v1/fees/payments', payment);
    expect(again).toEqual(first);
    expect(owed('21000003')).toBe(before - 40);
  });

  it('with another amount, fee, payment type or currency is refused naming it, and nothing is paid', async () => {
    const [feeId, otherFee] = feeIds('21000003');
    expect(otherFee).toBeDefined();
    const payment = {
      patron: '21000003',
      pin: '3333',
      amount: '0.30',
      feeId,
      paymentType: 'cash',
      currency: 'EUR',
      requestId: randomUUID(),
    };
    const before = owed('21000003');
    expect((await post('/api/v1/fees/payments', payment)).status).toBe(200);
    expect(owed('21000003')).toBe(before - 30);
    expectConflict(await post('/api/v1/fees/payments', { ...payment, amount: '3.00' }), 'amount');
    expectConflict(await post('/api/v1/fees/payments', { ...payment, feeId: otherFee }), 'feeId');
    expectConflict(await post('/api/v1/fees/payments', { ...payment, paymentType: 'visa' }), 'paymentType');
    expectConflict(await post('/api/v1/fees/payments', { ...payment, currency: 'SEK' }), 'currency');
    // A field the first request did not have is a difference too.
    const { feeId: _fee, ...anyFee } = payment;
    expectConflict(await post('/api/v1/fees/payments', anyFee), 'feeId');
    expect(owed('21000003')).toBe(before - 30);
  });

  it("for another patron is refused without naming the patron's field, and nothing is paid", async () => {
    const requestId = randomUUID();
    const mine = owed('21000003');
    const theirs = owed('21000006');
    expect(
      (await post('/api/v1/fees/payments', { patron: '21000003', amount: '0.20', requestId })).status,
    ).toBe(200);
    const other = await post('/api/v1/fees/payments', { patron: '21000006', amount: '0.20', requestId });
    // It said only 'use a new id for each request', not that nothing was paid.
    expectConflict(other, undefined);
    // The patron's barcode gets no mark kept beside the request, so the answer cannot name it.
    expect(other.body.detail).not.toMatch(/patron|21000006|21000003/);
    expect(owed('21000003')).toBe(mine - 20);
    expect(owed('21000006')).toBe(theirs);
  });
});

describe('a cash box emptied, sent again with its request id', () => {
  const emptyings = (device: string) => `/api/v1/cash-devices/${device}/cash-box/emptyings`;
  const lastEmptied = async (device: string) =>
    (await call<Json>('GET', `/api/v1/cash-devices/${device}/cash-box`)).body.lastEmptied;

  it('is recorded once and answered as the first', async () => {
    const emptying = { countedMinor: 0, note: 'evening', requestId: randomUUID() };
    const first = await post(emptyings('coins-1'), emptying);
    expect(first.status).toBe(201);
    const again = await post(emptyings('coins-1'), emptying);
    expect(again).toEqual(first);
    expect(await lastEmptied('coins-1')).toEqual({ id: first.body.id, at: first.body.at, by: first.body.by });
    // The next emptying is the next one recorded: the repeat recorded none in between.
    const next = await post(emptyings('coins-1'), { countedMinor: 0, requestId: randomUUID() });
    expect(next.body.id).toBe(first.body.id + 1);
  });

  it('with another count, note or device is refused naming it, and nothing is recorded', async () => {
    const emptying = { countedMinor: 0, note: 'evening', requestId: randomUUID() };
    const first = await post(emptyings('coins-1'), emptying);
    expect(first.status).toBe(201);
    const notesBefore = await lastEmptied('notes-1');
    expectConflict(await post(emptyings('coins-1'), { ...emptying, countedMinor: 500 }), 'countedMinor');
    expectConflict(await post(emptyings('coins-1'), { ...emptying, note: 'morning' }), 'note');
    const { note: _note, ...noNote } = emptying;
    expectConflict(await post(emptyings('coins-1'), noNote), 'note');
    // It said 'another params.id'.
    expectConflict(await post(emptyings('notes-1'), emptying), 'id in the path');
    expect(await lastEmptied('coins-1')).toEqual({ id: first.body.id, at: first.body.at, by: first.body.by });
    expect(await lastEmptied('notes-1')).toEqual(notesBefore);
    const next = await post(emptyings('coins-1'), { countedMinor: 0, requestId: randomUUID() });
    expect(next.body.id).toBe(first.body.id + 1);
  });
});
