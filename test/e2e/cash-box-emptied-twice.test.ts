/**
 * A cash box emptied twice while what it should hold stayed the same — an empty box counted twice,
 * two staff at two desks emptying one box from the same screen: the report's `lastEmptied.id` is the
 * emptying staff saw, and an emptying naming another is refused in words, nothing recorded. Over
 * HTTP from two staff clients (two tokens) on the simulated desk, coins dropped in the cash simulator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

const ANA = 'ana-token-0123456789abcdef';
const BEN = 'ben-token-0123456789abcdef';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withTokens(config, [
      { name: 'ana at desk 1', token: ANA, scopes: ['staff', 'kiosk'] },
      { name: 'ben at desk 2', token: BEN, scopes: ['staff'] },
    ]),
  );
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000, ANA);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

/** One staff client's call: its own token, its own connection. */
const call = (token: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body, { token, ownConnection: true });

const emptyings = async (): Promise<number> => {
  const box = await call(ANA, 'GET', '/cash-devices/coins-1/cash-box');
  return box.json.lastEmptied?.id ?? 0;
};

/** A top-up paid with one coin, so the box holds money. */
async function coinIn(valueMinor: number): Promise<void> {
  const opened = await call(ANA, 'POST', '/payments', {
    patron: '21000001',
    pin: '1234',
    purpose: { kind: 'print-topup', amountMinor: 500 },
    devices: ['coins-1'],
    requestId: randomUUID(),
  });
  expect(opened.status).toBe(201);
  const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
  expect(cash.insertCoin(valueMinor)).toMatchObject({ accepted: true });
  await until(
    async () =>
      (await call(ANA, 'GET', `/payments/${opened.json.id}`)).json.paidMinor === valueMinor || undefined,
    10_000,
    'the coin was not credited',
    25,
  );
  expect((await call(ANA, 'DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
}

describe('an empty cash box emptied from one screen at two desks', () => {
  it('records the first emptying and refuses the second in words, though the box should hold the same', async () => {
    await coinIn(100);
    const first = await call(ANA, 'POST', '/cash-devices/coins-1/cash-box/emptyings', { countedMinor: 100 });
    expect(first.status).toBe(201);

    // Both desks show the emptied box: it should hold nothing, emptied last by Ana.
    const seenByAna = (await call(ANA, 'GET', '/cash-devices/coins-1/cash-box')).json;
    const seenByBen = (await call(BEN, 'GET', '/cash-devices/coins-1/cash-box')).json;
    expect(seenByAna).toMatchObject({
      expectedMinor: 0,
      lastEmptied: { id: first.json.id, by: 'ana at desk 1' },
    });
    expect(seenByBen).toEqual(seenByAna);
    const recordedBefore = await emptyings();

    // Each empties the box they saw, from the screen showing it: the same amount, the same emptying.
    const emptying = (token: string, seen: typeof seenByAna) =>
      call(token, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
        countedMinor: 0,
        expectedMinor: seen.expectedMinor,
        lastEmptyingId: seen.lastEmptied.id,
        requestId: randomUUID(),
      });
    const answers = await Promise.all([emptying(ANA, seenByAna), emptying(BEN, seenByBen)]);
    // Both were recorded: expectedMinor 0 matched twice.
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    const recorded = answers.find((answer) => answer.status === 201)!.json;
    const refused = answers.find((answer) => answer.status === 409)!.json;
    expect(refused).toMatchObject({
      code: 'cash_box_changed',
      title: 'The cash box is not what was seen in it',
      detail: `the cash box of coins-1 was emptied again since it was read (by ${recorded.by}, at ${recorded.at}): nothing was recorded, read the cash box again`,
      lastEmptyingId: recorded.id,
    });
    expect(await emptyings()).toBe(recorded.id);
    expect(recorded.id).toBe(recordedBefore + 1);
    const after = (await call(BEN, 'GET', '/cash-devices/coins-1/cash-box')).json;
    expect(after).toMatchObject({ expectedMinor: 0, lastEmptied: { id: recorded.id, at: recorded.at } });
  });

  it('refuses an emptying read from a screen older than the last emptying, one after the other', async () => {
    const stale = (await call(BEN, 'GET', '/cash-devices/coins-1/cash-box')).json;
    const done = await call(ANA, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: stale.expectedMinor,
      expectedMinor: stale.expectedMinor,
      lastEmptyingId: stale.lastEmptied.id,
    });
    expect(done.status).toBe(201);
    const late = await call(BEN, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: stale.expectedMinor,
      expectedMinor: stale.expectedMinor,
      lastEmptyingId: stale.lastEmptied.id,
    });
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ code: 'cash_box_changed', lastEmptyingId: done.json.id });
    expect(await emptyings()).toBe(done.json.id);
  });

  it('takes a box never emptied as lastEmptyingId null, and refuses null once it has been', async () => {
    const never = (await call(ANA, 'GET', '/cash-devices/notes-1/cash-box')).json;
    expect(never.lastEmptied).toBeNull();
    const emptying = () =>
      call(BEN, 'POST', '/cash-devices/notes-1/cash-box/emptyings', {
        countedMinor: 0,
        expectedMinor: 0,
        lastEmptyingId: null,
      });
    const first = await emptying();
    expect(first.status).toBe(201);
    const second = await emptying();
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ code: 'cash_box_changed', lastEmptyingId: first.json.id });
  });

  it('keeps expectedMinor working as it did: money taken since the screen was read is refused', async () => {
    const seen = (await call(ANA, 'GET', '/cash-devices/coins-1/cash-box')).json;
    await coinIn(50);
    const refused = await call(BEN, 'POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: 50,
      expectedMinor: seen.expectedMinor,
      lastEmptyingId: seen.lastEmptied.id,
    });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'cash_box_changed', expectedMinor: seen.expectedMinor + 50 });
    // A client that sends neither (an older page, a script) is recorded as before.
    const old = await call(BEN, 'POST', '/cash-devices/coins-1/cash-box/emptyings', { countedMinor: 50 });
    expect(old.status).toBe(201);
    expect(old.json).toMatchObject({ expectedMinor: seen.expectedMinor + 50, varianceMinor: 0 });
  });
});
