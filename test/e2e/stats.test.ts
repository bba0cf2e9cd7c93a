import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/** Circulation on the simulated desk shows up in the desk's statistics, counted and never naming a patron. */
let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
  await waitForDevice(testDesk.api, 'ils', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${testDesk.api}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('desk statistics', () => {
  it('counts checkouts and refusals by reason per terminal and hour, as JSON and CSV', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    expect((await post('/checkouts', { patron: '21000009', pin: '9999', item: '31000005' })).status).toBe(
      200,
    );
    expect((await post('/checkouts', { patron: '21000009', pin: '0000', item: '31000006' })).status).toBe(
      422,
    );
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const query = `from=${from}&to=${to}&groupBy=kind,reason`;

    const report = (await (await fetch(`${testDesk.api}/api/v1/stats?${query}`)).json()) as {
      rows: Array<{ kind: string; outcome: string; reason?: string; count: number }>;
    };
    expect(report.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'checkout', outcome: 'ok', count: 1 }),
        expect.objectContaining({ kind: 'checkout', outcome: 'refused', reason: 'invalid_pin', count: 1 }),
      ]),
    );
    const csv = await (await fetch(`${testDesk.api}/api/v1/stats?${query}&format=csv`)).text();
    expect(csv.split('\r\n')[0]).toContain('count');
    expect(csv).toContain('invalid_pin');
    expect(csv).not.toContain('21000009');
  });
});
