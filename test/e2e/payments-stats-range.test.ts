/**
 * The payment statistics (GET /api/v1/stats/payments) asked for a range that is inverted, empty
 * or longer than a year: refused as every statistics route refuses one, 400
 * statistics_range_invalid with what is wrong with the range — not a problem about an amount
 * ("Not an amount a payment may be for"). Over HTTP on the simulated desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

async function stats(path: string, from: string, to: string) {
  const response = await fetch(
    `${testDesk.api}/api/v1/stats${path}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
  );
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

describe('payment statistics over a range that is not one', () => {
  it('refuses an inverted, empty or too long range as the desk statistics do, saying what is wrong', async () => {
    const cases = [
      ['2026-12-07T00:00:00Z', '2026-12-01T00:00:00Z', '"to" must be after "from"'],
      ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '"to" must be after "from"'],
      ['2024-01-01T00:00:00Z', '2026-12-01T00:00:00Z', 'a range may span at most 366 days'],
    ] as const;
    for (const [from, to, detail] of cases) {
      // The desk's own statistics route, for the words every statistics route answers with.
      expect((await stats('', from, to)).json).toMatchObject({ code: 'statistics_range_invalid', detail });
      const answer = await stats('/payments', from, to);
      // It answered 422 amount_invalid, "Not an amount a payment may be for".
      expect({ from, to, status: answer.status, code: answer.json.code }).toEqual({
        from,
        to,
        status: 400,
        code: 'statistics_range_invalid',
      });
      expect(answer.json).toMatchObject({ title: 'Invalid statistics range', detail });
    }
    // A range that is one is answered.
    expect((await stats('/payments', '2026-12-01T00:00:00Z', '2026-12-07T00:00:00Z')).status).toBe(200);
  });
});
