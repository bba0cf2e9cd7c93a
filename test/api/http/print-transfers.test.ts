/**
 * POST /api/v1/print/accounts/transfers over HTTP (staff scope): a transfer of
 * the patron's ILS credit against the ILS simulator's Koha-shaped REST API,
 * the same request again, and the problems a desk client sees.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { KohaRestAccounts } from '../../../src/devices/ils/koha-accounts.js';
import { kohaRestAccountsSchema } from '../../../src/devices/ils/koha-accounts-config.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { SAMPLE_FIXTURE } from '../../simulators/ils/paths.js';
import { fakeServices } from './fake-services.js';

const STAFF = { name: 'desk-1', token: 'staff-token-0123456789', scopes: ['staff' as const] };
const PATRON = '21000010'; // 20.00 in credit at the simulated ILS

let simulator: IlsSimulator;
let api: HttpApi;

async function build(configured: boolean) {
  const db = openDatabase(':memory:');
  const printAccounts = new PrintAccounts({
    config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
    database: () => db,
    queues: () => [],
    clock: systemClock,
    logger: silentLogger(),
    ...(configured
      ? {
          ilsTransfer: {
            accounts: new KohaRestAccounts(
              kohaRestAccountsSchema.parse({
                kind: 'koha-rest',
                url: simulator.controlUrl,
                clientId: 'carrel-desk',
                clientSecret: 'carrel-desk-secret',
              }),
              { exponent: 2, clock: systemClock },
            ),
          },
        }
      : {}),
  });
  api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: { ...fakeServices().services, printAccounts },
    logger: silentLogger(),
    tokens: [STAFF],
    version: '0.0.0-test',
  });
}

const transfer = (payload: Record<string, unknown>) =>
  api.app.inject({
    method: 'POST',
    url: '/api/v1/print/accounts/transfers',
    headers: { authorization: `Bearer ${STAFF.token}` },
    payload,
  });

beforeEach(async () => {
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
});

afterEach(async () => {
  await api?.app.close();
  await simulator.close();
});

describe('POST /api/v1/print/accounts/transfers', () => {
  it('moves the credit once, and the same request again answers the same transfer', async () => {
    await build(true);
    const body = { requestId: 'transfer-api-1', patron: PATRON, amountMinor: 600, currency: 'EUR' };
    const first = await transfer(body);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ amountMinor: 600, balanceMinor: 600, repeated: false });
    const again = await transfer(body);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ entryId: first.json().entryId, repeated: true });
    expect(simulator.state.patrons.get(PATRON)?.accountDebits).toHaveLength(1);
  });

  it('a request id sent again at once with another amount is refused, naming it; the ILS is debited once', async () => {
    await build(true);
    const body = { requestId: 'transfer-api-clash', patron: PATRON, amountMinor: 600, currency: 'EUR' };
    // Both arrive while the first is still at the ILS: the second joined the first, as if the same.
    const [first, other] = await Promise.all([transfer(body), transfer({ ...body, amountMinor: 900 })]);
    expect(first.statusCode).toBe(201);
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'request_id_conflict' });
    expect(other.json().detail).toMatch(/amountMinor/);
    expect(other.json().detail).not.toContain(PATRON);
    // Afterwards too, and for another patron.
    const later = await transfer({ ...body, amountMinor: 900 });
    expect(later.statusCode).toBe(409);
    expect(later.json().detail).toMatch(/amountMinor/);
    const otherPatron = await transfer({ ...body, patron: '21000001' });
    expect(otherPatron.statusCode).toBe(409);
    expect(otherPatron.json().detail).toMatch(/another patron/);
    expect(otherPatron.json().detail).not.toContain('21000001');
    expect(simulator.state.patrons.get(PATRON)?.accountDebits).toHaveLength(1);
    expect(simulator.state.patrons.get(PATRON)?.creditCents).toBe(2000 - 600);
  });

  it('answers problems with stable types: unknown card, not enough credit, ILS down, not configured', async () => {
    await build(true);
    const unknown = await transfer({ requestId: 'transfer-api-2', patron: '29999999', amountMinor: 100 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect(unknown.json()).toMatchObject({ type: 'urn:carrel:problem:ils_patron_not_found' });
    const tooMuch = await transfer({ requestId: 'transfer-api-3', patron: PATRON, amountMinor: 2001 });
    expect(tooMuch.statusCode).toBe(402);
    expect(tooMuch.json()).toMatchObject({ type: 'urn:carrel:problem:ils_credit_insufficient' });
    simulator.setFaults({ rest: { unreachable: true } });
    const down = await transfer({ requestId: 'transfer-api-4', patron: PATRON, amountMinor: 100 });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ type: 'urn:carrel:problem:ils_account_unreachable' });
    await api.app.close();
    await build(false);
    const off = await transfer({ requestId: 'transfer-api-5', patron: PATRON, amountMinor: 100 });
    expect(off.statusCode).toBe(503);
    expect(off.json()).toMatchObject({ type: 'urn:carrel:problem:ils_transfer_unavailable' });
  });
});
