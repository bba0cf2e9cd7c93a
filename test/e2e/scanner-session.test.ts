import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A kiosk's scanner drives its session: the patron's scanned card opens (and with the PIN
 * authenticates) the checkout session of the kiosk that watches that scanner, and each item
 * barcode scanned afterwards is checked out in it — no RFID needed.
 */
let test: TestDesk;
beforeAll(async () => {
  test = await startTestDesk();
  await waitForDevice(test.api, 'scanner-1', 'online', 15_000);
}, 30_000);
afterAll(async () => test?.stop());

const sim = (): ScannerSimulator => test.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${test.api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until the scanner's last identification is this value. */
const scanned = (value: string) =>
  until(async () => {
    const { body } = await call('GET', '/api/v1/scanners/scanner-1/last');
    return (body.identification as { value?: string } | null)?.value === value ? true : undefined;
  });

describe('sessions driven by the kiosk scanner', () => {
  it('a scanned patron card opens the checkout session with the PIN; scanned items are checked out in it', async () => {
    await sim().scan('21000002');
    await scanned('21000002');
    const missingPin = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
    });
    expect(missingPin).toMatchObject({ status: 422, body: { code: 'pin_required' } });

    const opened = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
      pin: '2222',
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      state: 'open',
      scanner: 'scanner-1',
      patron: { name: 'Émile Côté' },
    });
    const id = opened.body.id as string;

    await sim().scan('31000006');
    const item = await until(async () => {
      const { body } = await call('GET', `/api/v1/sessions/${id}`);
      return (body.items as Array<{ item: string; state: string }>).find(
        (i) => i.item === '31000006' && i.state !== 'pending',
      );
    });
    expect(item).toMatchObject({ item: '31000006', state: 'checked_out', security: 'none' });

    // Another kiosk cannot open a session on the same scanner meanwhile.
    await sim().scan('21000003');
    await scanned('21000003');
    const busy = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
      pin: '3333',
    });
    expect(busy).toMatchObject({ status: 409, body: { code: 'scanner_in_use' } });

    expect((await call('DELETE', `/api/v1/sessions/${id}`)).status).toBe(200);
  });

  it('an item barcode scanned at the kiosk of an open return session is returned in it, no RFID needed', async () => {
    // On loan first: checked out at the same kiosk.
    await sim().scan('21000002');
    await scanned('21000002');
    const checkout = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
      pin: '2222',
    });
    expect(checkout.status).toBe(201);
    const loanId = checkout.body.id as string;
    await sim().scan('31000007');
    const loaned = await until(async () => {
      const { body } = await call('GET', `/api/v1/sessions/${loanId}`);
      return (body.items as Array<{ item: string; state: string }>).find(
        (i) => i.item === '31000007' && i.state !== 'pending',
      );
    });
    expect(loaned).toMatchObject({ state: 'checked_out' });
    expect((await call('DELETE', `/api/v1/sessions/${loanId}`)).status).toBe(200);

    const opened = await call('POST', '/api/v1/sessions', { mode: 'return', scanner: 'scanner-1' });
    expect(opened).toMatchObject({ status: 201, body: { mode: 'return', scanner: 'scanner-1', pad: null } });
    const id = opened.body.id as string;
    await sim().scan('31000007');
    const returned = await until(async () => {
      const { body } = await call('GET', `/api/v1/sessions/${id}`);
      return (body.items as Array<{ item: string; state: string }>).find(
        (i) => i.item === '31000007' && i.state !== 'pending',
      );
    });
    // No pad: there is no tag whose security could be set, so the session says none.
    expect(returned).toMatchObject({ item: '31000007', state: 'checked_in', security: 'none' });
    expect((await call('DELETE', `/api/v1/sessions/${id}`)).status).toBe(200);
  });

  it('an item barcode with a | scanned in a session is refused in words, never tried at the library system', async () => {
    const opened = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patron: '21000002',
      pin: '2222',
    });
    expect(opened.status).toBe(201);
    const id = opened.body.id as string;
    try {
      const odd = '3100|AA21000001';
      await sim().scan(odd);
      const item = await until(async () => {
        const { body } = await call('GET', `/api/v1/sessions/${id}`);
        return (body.items as Array<{ item: string; state: string }>).find(
          (i) => i.item === odd && i.state !== 'pending',
        );
      });
      // A refusal the kiosk words for the patron (take it to staff), not a failure to try again.
      expect(item).toMatchObject({ item: odd, state: 'refused', reason: 'barcode_not_sendable' });
      // Asked for again it stays refused, with nothing sent.
      const again = await call('POST', `/api/v1/sessions/${id}/items`, { item: odd });
      expect(again.status).toBe(400);
      await sim().scan(odd);
      await sim().scan('31000008');
      const lent = await until(async () => {
        const { body } = await call('GET', `/api/v1/sessions/${id}`);
        const items = body.items as Array<{ item: string; state: string }>;
        return items.some((i) => i.item === '31000008' && i.state === 'checked_out') ? items : undefined;
      });
      expect(lent.map((i) => [i.item, i.state])).toEqual([
        [odd, 'refused'],
        ['31000008', 'checked_out'],
      ]);
    } finally {
      await call('DELETE', `/api/v1/sessions/${id}`);
      await call('POST', '/api/v1/checkins', { item: '31000008' });
    }
  });

  it('a patron scan serves one session: used once, it is gone', async () => {
    await sim().scan('21000003');
    await scanned('21000003');
    const first = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
      pin: '3333',
    });
    expect(first.status).toBe(201);
    await call('DELETE', `/api/v1/sessions/${first.body.id as string}`);
    const again = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      scanner: 'scanner-1',
      patronScan: true,
      pin: '3333',
    });
    expect(again).toMatchObject({ status: 422, body: { code: 'patron_scan_not_found' } });
  });

  it('a patronScan needs a scanner, and the scanner named must be one', async () => {
    const noScanner = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patronScan: true,
      pin: '1',
    });
    expect(noScanner).toMatchObject({ status: 422, body: { code: 'patron_scan_not_found' } });
    const notAScanner = await call('POST', '/api/v1/sessions', { mode: 'return', scanner: 'receipt-1' });
    expect(notAScanner).toMatchObject({ status: 409, body: { code: 'not_a_scanner' } });
  });

  it('a checkout session with neither patron nor PIN says both are missing in one answer', async () => {
    for (const none of [{}, { pin: '' }, { scanner: 'scanner-1', patronScan: false }]) {
      const refused = await call('POST', '/api/v1/sessions', { mode: 'checkout', ...none });
      expect(refused, JSON.stringify(none)).toMatchObject({
        status: 422,
        body: {
          code: 'patron_required',
          detail:
            "a checkout session needs a patron — a barcode (patron), the patron card on a pad (patronCard) or the card scanned at a scanner (patronScan) — and the patron's PIN (pin)",
        },
      });
    }
    // a patron given, only the PIN is missing; a PIN given, only the patron
    const noPin = await call('POST', '/api/v1/sessions', { mode: 'checkout', patron: '21000001' });
    expect(noPin).toMatchObject({ status: 422, body: { code: 'pin_required' } });
    const noPatron = await call('POST', '/api/v1/sessions', { mode: 'checkout', pin: '1234' });
    expect(noPatron).toMatchObject({ status: 422, body: { code: 'patron_required' } });
    expect(noPatron.body.detail).not.toContain('PIN');
  });

  it('a checkout session with no patron names every way to give one; "not both" only when both came', async () => {
    const ways =
      'a checkout session needs a patron: a barcode (patron), the patron card on a pad (patronCard) or the card scanned at a scanner (patronScan)';
    for (const none of [{}, { patronCard: false, patronScan: false }, { scanner: 'scanner-1' }]) {
      const refused = await call('POST', '/api/v1/sessions', { mode: 'checkout', pin: '1', ...none });
      expect(refused, JSON.stringify(none)).toMatchObject({
        status: 422,
        body: { code: 'patron_required', detail: ways },
      });
    }
    const both = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      pin: '1',
      patron: '21000001',
      patronCard: true,
    });
    expect(both).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(both.body.errors).toEqual([
      { path: 'body.patronCard', message: 'give a patron barcode or patronCard, not both' },
    ]);
    const scanToo = await call('POST', '/api/v1/sessions', {
      mode: 'checkout',
      pin: '1',
      scanner: 'scanner-1',
      patron: '21000001',
      patronScan: true,
    });
    expect(scanToo.body.errors).toEqual([
      { path: 'body.patronScan', message: 'give only one of a patron barcode, patronCard or patronScan' },
    ]);
  });
});
