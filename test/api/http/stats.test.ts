import { afterEach, describe, expect, it } from 'vitest';
import { prefersCsv } from '../../../src/api/http/resources/stats.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { DeskStatistics } from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { fakeServices } from './fake-services.js';

const TOKENS = [
  { name: 'kiosk-1', token: 'kiosk-token-0123456789', scopes: ['kiosk' as const] },
  { name: 'desk-staff', token: 'staff-token-0123456789', scopes: ['staff' as const] },
  { name: 'monitoring', token: 'monitor-token-0123456789', scopes: ['monitor' as const] },
];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const STAFF = bearer(TOKENS[1]!.token);
const T0 = Date.UTC(2026, 2, 10, 9, 5);
const H = 3_600_000;

let api: HttpApi | undefined;
let db: Database | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
  db?.close();
  db = undefined;
});

async function build() {
  db = openDatabase(':memory:');
  const stats = new DeskStatistics(db);
  stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, T0);
  stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, T0 + 1000);
  stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok', offline: true }, T0 + H);
  stats.record({ kind: 'renew', terminal: 'kiosk,2', outcome: 'refused', reason: 'renewal_limit' }, T0 + H);
  api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: { ...fakeServices().services, statistics: stats },
    logger: silentLogger(),
    tokens: TOKENS,
    version: '0.0.0-test',
  });
  return api;
}

const RANGE = 'from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z&timeZone=UTC';

describe('GET /api/v1/stats', () => {
  it('answers JSON counts grouped by hour and terminal by default', async () => {
    const api = await build();
    const response = await api.app.inject({ url: `/api/v1/stats?${RANGE}`, headers: STAFF });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toEqual({
      from: '2026-03-10T00:00:00.000Z',
      to: '2026-03-11T00:00:00.000Z',
      timeZone: 'UTC',
      groupBy: ['hour', 'terminal'],
      rows: [
        { hour: '2026-03-10T09:00:00.000Z', terminal: 'kiosk-1', outcome: 'ok', offline: false, count: 2 },
        {
          hour: '2026-03-10T10:00:00.000Z',
          terminal: 'kiosk,2',
          outcome: 'refused',
          offline: false,
          count: 1,
        },
        { hour: '2026-03-10T10:00:00.000Z', terminal: 'kiosk-1', outcome: 'ok', offline: true, count: 1 },
      ],
    });
  });

  it("cuts days and hours in the desk's time zone, or the one asked for: a day in India begins at half past a UTC hour", async () => {
    const api = await build();
    // Ten past midnight on 11 March in India (18:40 UTC on the 10th), and twenty to midnight before.
    const stats = new DeskStatistics(db!);
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, Date.UTC(2026, 2, 10, 18, 40));
    stats.record({ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok' }, Date.UTC(2026, 2, 10, 18, 10));
    const asked = (query: string) =>
      api.app.inject({
        url: `/api/v1/stats?from=2026-03-10T12:00:00Z&to=2026-03-11T00:00:00Z&${query}`,
        headers: STAFF,
      });
    const byDay = (await asked('groupBy=day&timeZone=Asia/Kolkata')).json();
    expect(byDay.timeZone).toBe('Asia/Kolkata');
    expect(byDay.rows).toEqual([
      { day: '2026-03-10', outcome: 'ok', offline: false, count: 1 },
      { day: '2026-03-11', outcome: 'ok', offline: false, count: 1 },
    ]);
    // Its hours begin at half past: 23:30 and 00:30 local are 18:00 and 19:00 UTC… less half an hour.
    expect((await asked('groupBy=hour&timeZone=Asia/Kolkata')).json().rows).toEqual([
      { hour: '2026-03-10T17:30:00.000Z', outcome: 'ok', offline: false, count: 1 },
      { hour: '2026-03-10T18:30:00.000Z', outcome: 'ok', offline: false, count: 1 },
    ]);
    // In UTC both are the 10th, in one hour.
    expect((await asked('groupBy=day,hour&timeZone=UTC')).json().rows).toEqual([
      { hour: '2026-03-10T18:00:00.000Z', day: '2026-03-10', outcome: 'ok', offline: false, count: 2 },
    ]);
    // A zone the desk does not know is refused in words.
    const unknown = await asked('groupBy=day&timeZone=Mars/Olympus');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('not a time zone this desk knows');
  });

  it('groups and filters as asked', async () => {
    const api = await build();
    const response = await api.app.inject({
      url: `/api/v1/stats?${RANGE}&groupBy=day,kind,reason&kind=renew`,
      headers: STAFF,
    });
    expect(response.json().rows).toEqual([
      {
        day: '2026-03-10',
        kind: 'renew',
        outcome: 'refused',
        reason: 'renewal_limit',
        offline: false,
        count: 1,
      },
    ]);
  });

  it('answers CSV for Accept: text/csv and for format=csv, with RFC 4180 quoting', async () => {
    const api = await build();
    const expected =
      'day,terminal,outcome,offline,count\r\n' +
      '2026-03-10,"kiosk,2",refused,false,1\r\n' +
      '2026-03-10,kiosk-1,ok,false,2\r\n' +
      '2026-03-10,kiosk-1,ok,true,1\r\n';
    const url = `/api/v1/stats?${RANGE}&groupBy=day,terminal`;
    const byAccept = await api.app.inject({ url, headers: { ...STAFF, accept: 'text/csv' } });
    expect(byAccept.statusCode).toBe(200);
    expect(byAccept.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(byAccept.headers['content-disposition']).toMatch(/^attachment; filename="carrel-stats-.*\.csv"$/);
    expect(byAccept.body).toBe(expected);
    expect(Number(byAccept.headers['content-length'])).toBe(Buffer.byteLength(expected));
    const byFormat = await api.app.inject({ url: `${url}&format=csv`, headers: STAFF });
    expect(byFormat.headers['content-type']).toMatch(/^text\/csv/);
    expect(byFormat.body).toBe(expected);
    // format=json wins over the Accept header
    const json = await api.app.inject({
      url: `${url}&format=json`,
      headers: { ...STAFF, accept: 'text/csv' },
    });
    expect(json.headers['content-type']).toContain('application/json');
  });

  it('refuses a bad or too long range, and bad grouping, as problem+json even when CSV is asked', async () => {
    const api = await build();
    const tooLong = await api.app.inject({
      url: '/api/v1/stats?from=2024-01-01&to=2026-01-01&format=csv',
      headers: STAFF,
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.headers['content-type']).toContain('application/problem+json');
    expect(tooLong.json()).toMatchObject({ type: 'urn:carrel:problem:statistics_range_invalid' });
    const inverted = await api.app.inject({
      url: '/api/v1/stats?from=2026-03-11&to=2026-03-10',
      headers: STAFF,
    });
    expect(inverted.json()).toMatchObject({ status: 400, code: 'statistics_range_invalid' });
    const badGroup = await api.app.inject({ url: `/api/v1/stats?${RANGE}&groupBy=patron`, headers: STAFF });
    expect(badGroup.statusCode).toBe(400);
    expect(badGroup.json().errors[0].path).toMatch(/^query\.groupBy/);
    const missing = await api.app.inject({ url: '/api/v1/stats?from=2026-03-10', headers: STAFF });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].path).toBe('query.to');
  });

  it('is for staff and monitor tokens only', async () => {
    const api = await build();
    const url = `/api/v1/stats?${RANGE}`;
    expect((await api.app.inject({ url })).statusCode).toBe(401);
    const kiosk = await api.app.inject({ url, headers: bearer(TOKENS[0]!.token) });
    expect(kiosk.statusCode).toBe(403);
    const monitor = await api.app.inject({
      url,
      headers: { ...bearer(TOKENS[2]!.token), accept: 'text/csv' },
    });
    expect(monitor.statusCode).toBe(200);
    expect(monitor.headers['content-type']).toMatch(/^text\/csv/);
  });

  it('appears in the OpenAPI document', async () => {
    const api = await build();
    const doc = (await api.app.inject({ url: '/docs/openapi.json' })).json();
    expect(doc.paths['/api/v1/stats'].get.operationId).toBe('getStatistics');
  });
});

describe('prefersCsv', () => {
  it('reads the Accept header with weights', () => {
    expect(prefersCsv(undefined)).toBe(false);
    expect(prefersCsv('application/json')).toBe(false);
    expect(prefersCsv('*/*')).toBe(false);
    expect(prefersCsv('text/csv')).toBe(true);
    expect(prefersCsv('text/csv;q=0.5, application/json')).toBe(false);
    expect(prefersCsv('application/json;q=0.2, text/csv')).toBe(true);
    expect(prefersCsv('text/csv;q=0')).toBe(false);
  });
});

/**
 * A report grouped by a dimension the desk does not keep would come back as one row per measure
 * with that "dimension" blank — a spreadsheet built on a typo. The grouping is checked against
 * the measures' dimensions (GET /api/v1/stats/catalog) and refused in words that list them.
 */
describe('GET /api/v1/stats/measures groupBy', () => {
  async function listening(): Promise<string> {
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: [],
      version: '0.0.0-test',
    });
    return api.app.listen({ host: '127.0.0.1', port: 0 });
  }

  it('refuses a dimension no measure has with 400, listing the dimensions, without repeating it', async () => {
    const base = await listening();
    const catalog = (await (await fetch(`${base}/api/v1/stats/catalog`)).json()) as {
      measures: Array<{ dimensions: string[] }>;
    };
    const dimensions = [...new Set(catalog.measures.flatMap((m) => m.dimensions))];
    expect(dimensions).toEqual(expect.arrayContaining(['terminal', 'gate', 'currency']));
    for (const groupBy of ['patron_21000001', 'gate,shelfmark_x9', 'Gate']) {
      const response = await fetch(
        `${base}/api/v1/stats/measures?${RANGE}&groupBy=${encodeURIComponent(groupBy)}`,
      );
      expect(response.status, groupBy).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await response.text();
      const problem = JSON.parse(text) as {
        code: string;
        errors?: Array<{ path: string; message: string }>;
      };
      expect(problem.code).toBe('invalid_request');
      const issue = problem.errors?.find((error) => error.path.startsWith('query.groupBy'));
      expect(issue?.message, groupBy).toMatch(/not a dimension/);
      for (const dimension of dimensions) expect(issue?.message).toContain(dimension);
      for (const input of ['patron_21000001', '21000001', 'shelfmark_x9', 'Gate'])
        expect(text, groupBy).not.toContain(input);
    }
  });

  it('refuses a measure it does not keep, and a filter on a dimension no measure has, without repeating them', async () => {
    const base = await listening();
    const catalog = (await (await fetch(`${base}/api/v1/stats/catalog`)).json()) as {
      measures: Array<{ name: string }>;
    };
    for (const [query, path, listed] of [
      ['measure=circulation.patron_21000001', 'query.measure', catalog.measures.map((m) => m.name)],
      ['where=patron_21000001:x', 'query.where', ['terminal', 'gate']],
    ] as const) {
      const response = await fetch(`${base}/api/v1/stats/measures?${RANGE}&${query}`);
      expect(response.status, query).toBe(400);
      const text = await response.text();
      const problem = JSON.parse(text) as { errors?: Array<{ path: string; message: string }> };
      const issue = problem.errors?.find((error) => error.path.startsWith(path));
      expect(issue, query).toBeDefined();
      for (const name of listed) expect(issue?.message).toContain(name);
      expect(text, query).not.toContain('21000001');
    }
  });

  it('takes the dimensions the catalog lists, as before', async () => {
    const base = await listening();
    const response = await fetch(`${base}/api/v1/stats/measures?${RANGE}&period=total&groupBy=terminal,gate`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { groupBy: string[] }).groupBy).toEqual(['gate', 'terminal']);
  });
});
