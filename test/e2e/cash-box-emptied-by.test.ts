/**
 * Who emptied a cash box, on a desk without tokens (the default: it serves this machine only, and
 * no one there holds a token): the API says "at this desk", as it says of a print account's
 * entries, a payment paid out or checked, a card issued — never Carrel's technical name for such a
 * caller ('loopback'); an emptying an older Carrel kept as by 'loopback' reads so too. Over HTTP
 * on the simulated desk, coins dropped into the cash simulator for a payment.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

describe('who emptied a cash box, on a desk without tokens', () => {
  it('says an emptying made over HTTP was made at this desk, in its answer and the cash box report', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000001',
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
      requestId: randomUUID(),
    });
    expect(opened.status).toBe(201);
    const cash = testDesk.desk.simulators.handle(cashSimulators, 'cash-sim')!;
    expect(cash.insertCoin(200)).toMatchObject({ accepted: true });
    const deadline = Date.now() + 10_000;
    while ((await call('GET', `/payments/${opened.json.id}`)).json.paidMinor !== 200) {
      if (Date.now() > deadline) throw new Error('the coin was not credited');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);

    const emptied = await call('POST', '/cash-devices/coins-1/cash-box/emptyings', {
      countedMinor: 200,
      requestId: randomUUID(),
    });
    expect(emptied.status).toBe(201);
    // It answered by 'loopback'.
    expect(emptied.json).toMatchObject({ expectedMinor: 200, countedMinor: 200, by: 'at this desk' });
    const box = await call('GET', '/cash-devices/coins-1/cash-box');
    expect(box.json.lastEmptied).toEqual({ at: emptied.json.at, by: 'at this desk' });
  });

  it("reads an emptying an older Carrel kept as by 'loopback' as made at this desk", async () => {
    // An emptying of the note validator made at this desk by an older Carrel, which kept its caller's name.
    const db = openDatabase(testDesk.databasePath);
    try {
      db.prepare(
        `INSERT INTO cash_box_emptyings (device, at, emptied_by, last_credit, expected_minor, currency)
         VALUES ('notes-1', ?, 'loopback', 0, 0, NULL)`,
      ).run(Date.now());
    } finally {
      db.close();
    }
    const box = await call('GET', '/cash-devices/notes-1/cash-box');
    expect(box.json.lastEmptied.by).toBe('at this desk');
  });
});
