import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A little of a desk's day on the simulated desk — a checkout and a refusal, people through the
 * gate and an alarm, cash put on a print account — read back from GET /api/v1/stats/measures in
 * one shape, as JSON and CSV, and never naming the patron.
 */
const PATRON = '21000009';
let testDesk: TestDesk;
let from: string;

const post = (path: string, body: unknown) =>
  fetch(`${testDesk.api}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

interface Report {
  period: string;
  timeZone: string;
  rows: Array<{ measure: string; period?: string; dims: Record<string, string>; value: number }>;
}
const to = () => new Date(Date.now() + 3_600_000).toISOString();
const measures = async (query: string): Promise<Report> => {
  const response = await fetch(`${testDesk.api}/api/v1/stats/measures?from=${from}&to=${to()}&${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Report;
};
const value = (report: Report, measure: string, dims: Record<string, string> = {}) =>
  report.rows
    .filter((row) => row.measure === measure && Object.entries(dims).every(([k, v]) => row.dims[k] === v))
    .reduce((sum, row) => sum + row.value, 0);

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'ils', 'online');
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  from = new Date(Date.now() - 3_600_000).toISOString();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('GET /api/v1/stats/measures', () => {
  it('answers circulation, visitors, alarms and print money in one shape, without the patron', async () => {
    expect((await post('/checkouts', { patron: PATRON, pin: '9999', item: '31000005' })).status).toBe(200);
    expect((await post('/checkouts', { patron: PATRON, pin: '0000', item: '31000006' })).status).toBe(422);
    const gate = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'out', items: ['31000006'] });
    expect(
      (
        await post('/print/accounts/deposit', {
          requestId: randomUUID(),
          patron: PATRON,
          amountMinor: 500,
          currency: 'EUR',
          source: 'cash-desk',
        })
      ).status,
    ).toBe(201);

    // The gate's counter is read on its own schedule; reading it now counts the people at once.
    await fetch(`${testDesk.api}/api/v1/gates/exit-1/counters`);
    const report = await until(async () => {
      const found = await measures('period=total&groupBy=kind,outcome,reason,gate,source');
      return value(found, 'gate.visitors_in') >= 2 && value(found, 'gate.alarms') >= 1 ? found : undefined;
    });
    expect(value(report, 'circulation.transactions', { kind: 'checkout', outcome: 'ok' })).toBe(1);
    expect(
      value(report, 'circulation.transactions', {
        kind: 'checkout',
        outcome: 'refused',
        reason: 'invalid_pin',
      }),
    ).toBe(1);
    expect(value(report, 'gate.visitors_in', { gate: 'exit-1' })).toBe(2);
    expect(value(report, 'gate.visitors_out', { gate: 'exit-1' })).toBe(1);
    expect(value(report, 'print.deposits', { source: 'cash-desk', currency: 'EUR' })).toBe(500);
    expect(JSON.stringify(report)).not.toContain(PATRON);

    // The same counts on the heatmap's grid: this hour of this weekday, in UTC.
    const now = new Date();
    const grid = await measures('period=weekday-hour&timeZone=UTC&measure=gate.visitors_in');
    expect(grid.timeZone).toBe('UTC');
    expect(grid.rows).toEqual([
      {
        measure: 'gate.visitors_in',
        period: `${now.getUTCDay() || 7}-${now.getUTCHours()}`,
        dims: {},
        value: 2,
      },
    ]);

    const csv = await (
      await fetch(`${testDesk.api}/api/v1/stats/measures?from=${from}&to=${to()}&period=day&groupBy=gate`, {
        headers: { accept: 'text/csv' },
      })
    ).text();
    expect(csv.split('\r\n')[0]).toBe('measure,period,currency,gate,value');
    expect(csv).toContain(',exit-1,2\r\n');
    expect(csv).not.toContain(PATRON);
  });

  it('exports every measure of a period by all its dimensions in one CSV file for a spreadsheet', async () => {
    const response = await fetch(
      `${testDesk.api}/api/v1/stats/export?from=${from}&to=${to()}&period=day&timeZone=UTC`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="carrel-statistics-/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['measure', 'unit', 'period']);
    expect(header.at(-1)).toBe('value');
    expect(header).toEqual(expect.arrayContaining(['currency', 'gate', 'kind', 'outcome', 'terminal']));
    const rows = lines
      .slice(1)
      .map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
    const today = new Date().toISOString().slice(0, 10);
    expect(rows).toContainEqual(
      expect.objectContaining({
        measure: 'print.deposits',
        unit: 'minor',
        period: today,
        currency: 'EUR',
        source: 'cash-desk',
        value: '500',
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        measure: 'circulation.transactions',
        unit: 'count',
        kind: 'checkout',
        outcome: 'ok',
        value: '1',
      }),
    );
    expect(lines.join('\n')).not.toContain(PATRON);
  });

  it('lists its measures with their dimensions', async () => {
    const catalog = (await (await fetch(`${testDesk.api}/api/v1/stats/catalog`)).json()) as {
      measures: Array<{ name: string; dimensions: string[] }>;
    };
    // By name, each one a name the measures query takes.
    const names = catalog.measures.map((m) => m.name);
    expect(names).toEqual([...names].sort());
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_.-]{0,63}$/);
    expect(catalog.measures.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'circulation.transactions',
        'gate.visitors_in',
        'gate.alarms',
        'print.income',
        'print.pages',
        'cash.taken',
        'payments.fees_paid',
        'device.minutes_online',
      ]),
    );
  });

  it('answers a measure it does not keep, a time zone it does not know and a bad filter with 400', async () => {
    for (const query of ['measure=circulation.nope', 'timeZone=Mars/Olympus_Mons', 'where=gate']) {
      const response = await fetch(`${testDesk.api}/api/v1/stats/measures?from=${from}&to=${to()}&${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
