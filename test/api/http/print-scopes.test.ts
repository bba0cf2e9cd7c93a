import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeServices } from './fake-services.js';

const KIOSK = { name: 'station-1', token: 'kiosk-token-0123456789', scopes: ['kiosk' as const] };
const MONITOR = { name: 'monitoring', token: 'monitor-token-0123456789', scopes: ['monitor' as const] };

/** The print desk's money operations: staff scope only. */
const STAFF_ONLY: Array<[string, string, unknown?]> = [
  ['GET', '/api/v1/print/jobs'],
  ['POST', '/api/v1/print/accounts/find', { patron: '21000001' }],
  [
    'POST',
    '/api/v1/print/accounts/deposit',
    { requestId: 'r-0123456789', patron: '21000001', amountMinor: 100, currency: 'EUR' },
  ],
  [
    'POST',
    '/api/v1/print/accounts/transfers',
    { requestId: 'r-0123456789', patron: '21000010', amountMinor: 100 },
  ],
  ['POST', '/api/v1/print/accounts/payout', { requestId: 'r-0123456789', patron: '21000001' }],
  [
    'POST',
    '/api/v1/print/accounts/adjust',
    { requestId: 'r-0123456789', patron: '21000001', amountMinor: 100, currency: 'EUR', reason: 'x' },
  ],
  ['POST', '/api/v1/print/releases/refund', { requestId: 'r-0123456789', release: 'x', reason: 'x' }],
  ['GET', '/api/v1/print/releases'],
  ['GET', '/api/v1/print/reports/daily?date=2026-12-02'],
  ['GET', '/api/v1/print/reports/daily.csv?date=2026-12-02'],
];

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

describe('print desk scopes', () => {
  it('refuses a kiosk (a release station) and a monitor every staff operation, before reading the body', async () => {
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: [KIOSK, MONITOR],
      version: '0.0.0-test',
    });
    for (const token of [KIOSK, MONITOR])
      for (const [method, url, payload] of STAFF_ONLY) {
        const answer = await api.app.inject({
          method: method as 'GET' | 'POST',
          url,
          headers: { authorization: `Bearer ${token.token}` },
          ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
        });
        expect({ token: token.name, method, url, status: answer.statusCode }).toEqual({
          token: token.name,
          method,
          url,
          status: 403,
        });
      }
  });
});
