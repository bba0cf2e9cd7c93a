import { afterEach, describe, expect, it } from 'vitest';
import type { SessionItemView } from '../../../src/gateway/contracts/sessions.js';
import { checkoutReceipt, dueDay } from '../../../src/gateway/sessions/receipt.js';

/**
 * The due day printed on a receipt is the day the patron must bring the item back, where the
 * patron is: the desk's zone (the process's, as the receipt's own time is).
 */
const was = process.env.TZ;
afterEach(() => {
  if (was === undefined) delete process.env.TZ;
  else process.env.TZ = was;
});

describe('the due day on a receipt', () => {
  it('is the ILS’s own day for a local SIP2 date or a day alone', () => {
    process.env.TZ = 'America/New_York';
    expect(dueDay({ date: '2026-03-13T03:59:59.000Z', text: '20260312    235959' })).toBe('2026-03-12');
    expect(dueDay({ date: '2026-03-12T00:00:00.000Z', text: '2026-03-12' })).toBe('2026-03-12');
    expect(dueDay({ date: '2026-03-12T00:00:00.000Z', text: '20260312' })).toBe('2026-03-12');
    expect(dueDay(null)).toBe('later (offline)');
    expect(dueDay(undefined)).toBe('');
    expect(dueDay({ date: null, text: 'next Tuesday' })).toBe('next Tuesday');
  });

  it('is the desk’s day of a UTC SIP2 date (zone "   Z") or an ISO time with an offset', () => {
    // 23:59:59 on 12 February in New York (UTC−5), written in UTC: 04:59:59 on the 13th.
    const utc = { date: '2026-02-13T04:59:59.000Z', text: '20260213   Z045959' };
    const offset = { date: '2026-02-13T04:59:59.000Z', text: '2026-02-12T23:59:59-05:00' };
    process.env.TZ = 'America/New_York';
    expect(dueDay(utc)).toBe('2026-02-12');
    expect(dueDay(offset)).toBe('2026-02-12');
    // On 12 March (UTC−4 since the 8th), 23:59:59 is 03:59:59 UTC on the 13th.
    expect(dueDay({ date: '2026-03-13T03:59:59.000Z', text: '20260313   Z035959' })).toBe('2026-03-12');
    // 23:59:59 on 12 March in Auckland (UTC+13) is 10:59:59 on the 12th in UTC: the same day.
    process.env.TZ = 'Pacific/Auckland';
    expect(dueDay({ date: '2026-03-12T10:59:59.000Z', text: '20260312   Z105959' })).toBe('2026-03-12');
    // Berlin in winter (UTC+1): 23:59:59 is 22:59:59 UTC, and 00:30 the next day is 23:30 UTC.
    process.env.TZ = 'Europe/Berlin';
    expect(dueDay({ date: '2026-03-12T22:59:59.000Z', text: '20260312   Z225959' })).toBe('2026-03-12');
    expect(dueDay({ date: '2026-03-12T23:30:00.000Z', text: '20260312   Z233000' })).toBe('2026-03-13');
  });
});

describe('the checkout receipt’s totals', () => {
  const day = { date: '2026-03-12T12:00:00.000Z', text: '20260312    120000' };
  const item = (id: string, renewal: boolean): SessionItemView => ({
    item: id,
    title: `T ${id}`,
    state: 'checked_out',
    tags: [],
    dueDate: day,
    renewal,
    screenMessages: [],
    updatedAt: '2026-03-01T10:00:00.000Z',
  });
  const context = { library: 'L', desk: 'd', now: Date.UTC(2026, 2, 1, 10) };

  it('counts a renewal as a renewal — her earlier loan renewed, or an item she had that the checkout renewed — and a checkout as a checkout', () => {
    const receipt = checkoutReceipt(
      'Ada',
      [item('I1', false), item('I2', true)],
      [
        { item: 'I1', ok: true, dueDate: day, screenMessages: [] },
        { item: 'A', ok: true, title: 'Earlier', dueDate: day, screenMessages: [] },
        { item: 'B', ok: false, reason: 'renewal_limit', screenMessages: [] },
      ],
      context,
    );
    const data = receipt.data as { loans: Array<{ title: string }>; counts: unknown };
    expect(data.loans.map((loan) => loan.title)).toEqual(['T I1', 'T I2 (renewed)', 'Earlier (renewed)']);
    expect(data.counts).toEqual({ checkedOut: 1, renewed: 2 });
  });
});
