/**
 * A card number at the print desk that no library card can have — a SIP2 field delimiter (|) or a
 * line break inside it, from a paste — cannot be asked about at the library
 * system. The top-up was taken as with the library system offline: the cash on an account of
 * nobody. It is refused as a card the library system does not know, nothing topped up, and the
 * look-up says so. Over HTTP, the desk's ILS link over SIP2 to the ILS simulator.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk((config) => config);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

describe('a top-up at the print desk for a card number SIP2 cannot carry', () => {
  it.each([
    ['a field delimiter', '21000001|AD1234'],
    // Inside: one around the number (a scanner's suffix) is trimmed, and the number is that card.
    ['a line break', '2100\r0001'],
  ])('with %s is refused, nothing topped up', async (_, patron) => {
    const answer = await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 300,
      currency: 'EUR',
    });
    // It was 201: topped up as with the library system offline.
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ code: 'patron_not_found' });
    expect(answer.json.detail).toMatch(/nothing was topped up/);
    const found = (await post('/print/accounts/find', { patron, card: true })).json;
    expect(found.statement.balanceMinor).toBe(0);
    expect(found.card).toEqual({ known: false, name: null });
  });

  it('still tops up a card the library system knows', async () => {
    const answer = await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: '21000001',
      amountMinor: 300,
      currency: 'EUR',
    });
    expect(answer.status).toBe(201);
  });

  it('tops up the card a scanner sent with a line break after it', async () => {
    const answer = await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: '21000001\r\n',
      amountMinor: 200,
      currency: 'EUR',
    });
    expect(answer.status).toBe(201);
    const found = (await post('/print/accounts/find', { patron: '21000001', card: true })).json;
    expect(found.card).toMatchObject({ known: true });
  });
});
