import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * A card number typed at the desk with spaces around it (pasted from a mail, a scanner that sends a
 * trailing space): the number is the same card, so the print-account top-up and the card issue take
 * it trimmed. Spaces inside a number are not the desk's to remove: that number stays refused.
 */
let testDesk: TestDesk;
const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
}, 60_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('a card number with spaces around it', () => {
  it('tops up the print account of the card, not one of nobody', async () => {
    const deposit = await call('POST', '/print/accounts/deposit', {
      requestId: 'spaces-0123456789',
      patron: ' 21000001 ',
      amountMinor: 250,
      currency: 'EUR',
    });
    expect(deposit.status).toBe(201);
    const found = await call('POST', '/print/accounts/find', { patron: '21000001' });
    expect(found.status).toBe(200);
    expect(found.json.statement).toMatchObject({ balanceMinor: 250 });
    const typed = await call('POST', '/print/accounts/find', { patron: '\t21000001 ' });
    expect(typed.json.statement).toMatchObject({ balanceMinor: 250 });
  });

  it('issues the card of the patron the number names', async () => {
    const issued = await call('POST', '/cards', { patron: ' 21000001 ', number: 'patron' });
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ result: 'issued', cardNumber: '21000001', patron: '21000001' });
  });

  it('still refuses a number with a space inside, and one of spaces alone', async () => {
    const inside = await call('POST', '/print/accounts/deposit', {
      requestId: 'spaces-inside-0123456789',
      patron: '2100 0001',
      amountMinor: 250,
      currency: 'EUR',
    });
    expect(inside.status).toBe(404);
    const blank = await call('POST', '/cards', { patron: '   ', number: 'patron' });
    expect(blank.status).toBe(400);
    expect(JSON.stringify(blank.json)).toMatch(/patron/);
  });
});
