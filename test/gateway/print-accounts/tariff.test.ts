import { describe, expect, it } from 'vitest';
import { dueFor, periodStart, quote, tariffSchema } from '../../../src/gateway/print-accounts/tariff.js';

const tariff = tariffSchema.parse({
  mono: 10,
  color: 50,
  duplex: { mono: 8, color: 45 },
  media: { iso_a3: { mono: 20, color: 100 } },
});
const job = { impressions: 4, color: false, duplex: false, media: 'iso_a4_210x297mm' };
const none = { impressions: 0, amountMinor: 0 };

describe('print tariff', () => {
  it('prices an impression by colour, two sides and paper size (the longest media prefix wins)', () => {
    expect(quote(tariff, job, none, 'EUR').amountMinor).toBe(40);
    expect(quote(tariff, { ...job, color: true }, none, 'EUR').amountMinor).toBe(200);
    expect(quote(tariff, { ...job, duplex: true }, none, 'EUR').amountMinor).toBe(32);
    expect(quote(tariff, { ...job, media: 'iso_a3_297x420mm' }, none, 'EUR').amountMinor).toBe(80);
    const longer = tariffSchema.parse({
      media: { iso_a: { mono: 1, color: 1 }, iso_a3: { mono: 20, color: 100 } },
    });
    expect(quote(longer, { ...job, media: 'iso_a3_297x420mm' }, none, 'EUR').amountMinor).toBe(80);
  });

  it('prices a two-sided job on a paper with its own price two-sided too', () => {
    const a3Duplex = { ...job, duplex: true, media: 'iso_a3_297x420mm' };
    // Its own two-sided price when the paper has one.
    const own = tariffSchema.parse({
      mono: 10,
      duplex: { mono: 8, color: 45 },
      media: { iso_a3: { mono: 20, color: 100, duplex: { mono: 15, color: 80 } } },
    });
    expect(quote(own, a3Duplex, none, 'EUR').amountMinor).toBe(60);
    expect(quote(own, { ...a3Duplex, color: true }, none, 'EUR').amountMinor).toBe(320);
    expect(quote(own, { ...a3Duplex, duplex: false }, none, 'EUR').amountMinor).toBe(80);
    // Without one, the paper's price less what two-sided saves on the queue's own price (8 of 10: a fifth).
    // It was the one-sided A3 price, 80: the two-sided price was never used once a paper price matched.
    expect(quote(tariff, a3Duplex, none, 'EUR').amountMinor).toBe(64);
    expect(quote(tariff, { ...a3Duplex, color: true }, none, 'EUR').amountMinor).toBe(360);
    // No two-sided price at all: two-sided costs what one-sided does.
    const plain = tariffSchema.parse({ media: { iso_a3: { mono: 20, color: 100 } } });
    expect(quote(plain, a3Duplex, none, 'EUR').amountMinor).toBe(80);
  });

  it('takes what is left of a free allowance of pages off the price, and no more', () => {
    const free = tariffSchema.parse({ mono: 10, free: { period: 'day', impressions: 10 } });
    expect(quote(free, job, none, 'EUR')).toMatchObject({ freeImpressions: 4, amountMinor: 0 });
    expect(quote(free, job, { impressions: 8, amountMinor: 80 }, 'EUR')).toMatchObject({
      freeImpressions: 2,
      freeMinor: 20,
      amountMinor: 20,
    });
    expect(quote(free, job, { impressions: 12, amountMinor: 120 }, 'EUR').amountMinor).toBe(40);
  });

  it('takes what is left of a free allowance of value off the price, never below zero', () => {
    const free = tariffSchema.parse({ mono: 10, free: { period: 'week', amountMinor: 25 } });
    expect(quote(free, job, none, 'EUR')).toMatchObject({ freeMinor: 25, amountMinor: 15 });
    expect(quote(free, job, { impressions: 0, amountMinor: 20 }, 'EUR').amountMinor).toBe(35);
    expect(quote(free, { ...job, impressions: 1 }, none, 'EUR').amountMinor).toBe(0);
  });

  it('refuses an allowance of both pages and value, which would use one up with the other', () => {
    expect(() => tariffSchema.parse({ free: { impressions: 10, amountMinor: 100 } })).toThrow();
  });

  it('keeps due only what was printed, the free part first', () => {
    const charged = { impressions: 5, priceMinor: 50, freeMinor: 0 };
    expect(dueFor(2, charged)).toBe(20);
    expect(dueFor(9, charged)).toBe(50);
    expect(dueFor(2, { impressions: 5, priceMinor: 50, freeMinor: 30 })).toBe(0);
  });

  it('starts a day at local midnight and a week on Monday', () => {
    const wednesday = new Date(2026, 11, 2, 15, 30).getTime();
    expect(periodStart('day', wednesday)).toBe(new Date(2026, 11, 2).getTime());
    expect(periodStart('week', wednesday)).toBe(new Date(2026, 10, 30).getTime());
  });
});
