/**
 * A payment opened without a patron (no barcode, no patron card on a pad) is refused with a title
 * about what is missing — a patron — not "A checkout session needs a patron", which a kiosk
 * opening a payment is not. Over HTTP on the simulated desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

describe('a payment opened without a patron', () => {
  it('is refused 422 patron_required with a title that fits a payment', async () => {
    const payment = await post('/payments', {
      pin: '1234',
      purpose: { kind: 'print-topup', amountMinor: 500 },
    });
    expect(payment.status).toBe(422);
    // Its title was 'A checkout session needs a patron'.
    expect(payment.json).toMatchObject({
      code: 'patron_required',
      title: 'A patron is needed',
      detail: 'a payment needs a patron: a barcode, or patronCard with a pad',
    });
  });
});
