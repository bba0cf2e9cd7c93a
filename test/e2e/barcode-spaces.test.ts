import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A patron or item barcode typed or pasted at a kiosk or desk client with spaces around it (copied
 * from a mail, a scanner that ends its scan with a space or a tab): it is the same card, the same
 * book. The circulation routes and the kiosk's payments take it trimmed; spaces inside a barcode
 * are not the desk's to remove, and a barcode of spaces alone is no barcode. Over HTTP, against
 * the ILS simulator's sample library.
 */
let testDesk: TestDesk;
const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
  await waitForDevice(testDesk.api, 'coins-1', 'online', 15_000);
}, 60_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('a barcode with spaces around it', () => {
  it('looks up the patron the card names', async () => {
    const found = await call('POST', '/patrons/lookup', { patron: ' 21000001 ', pin: '1234' });
    expect(found.status).toBe(200);
    expect(found.json.patron).toMatchObject({ id: '21000001', valid: true, pinValid: true });
  });

  it('checks the item out to the patron, renews it and checks it in', async () => {
    const out = await call('POST', '/checkouts', { patron: '21000001 ', pin: '1234', item: '\t31000006 ' });
    expect(out.status).toBe(200);
    expect(out.json).toMatchObject({ ok: true, item: { id: '31000006' } });
    const renewed = await call('POST', '/renewals', { patron: ' 21000001', pin: '1234', item: '31000006 ' });
    expect(renewed.status).toBe(200);
    expect(renewed.json).toMatchObject({ ok: true, item: { id: '31000006' } });
    const back = await call('POST', '/checkins', { item: ' 31000006\n' });
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject({ ok: true, item: { id: '31000006' } });
  });

  it('opens a kiosk payment for the patron the card names', async () => {
    const opened = await call('POST', '/payments', {
      patron: '21000006 ',
      pin: '6666',
      purpose: { kind: 'fees', fees: ['F-1003'] },
      requestId: randomUUID(),
    });
    expect(opened.status).toBe(201);
    expect((await call('DELETE', `/payments/${opened.json.id}`)).status).toBe(200);
  });

  it('still refuses a barcode with a space inside, and one of spaces alone', async () => {
    const inside = await call('POST', '/patrons/lookup', { patron: '2100 0001', pin: '1234' });
    expect(inside.status).toBe(422);
    expect(inside.json).toMatchObject({ reason: 'patron_not_found' });
    for (const blank of [
      { patron: '   ', pin: '1234', item: '31000006' },
      { patron: '21000001', pin: '1234', item: ' \t ' },
    ]) {
      const refused = await call('POST', '/checkouts', blank);
      expect(refused.status).toBe(400);
      expect(refused.json.errors[0].path).toBe(blank.patron.trim() ? 'body.item' : 'body.patron');
    }
  });
});
