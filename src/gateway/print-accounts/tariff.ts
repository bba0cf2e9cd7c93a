/**
 * What a print job costs: impressions (pages × copies) at the queue's price
 * per impression, by colour or black and white, one- or two-sided, and paper
 * size, less what is left of the patron's free allowance for the day or week.
 * Pure: the allowance already used is given.
 */
import { z } from 'zod';
import type { PrintQuote } from '../contracts/print-accounts.js';

const minor = z.number().int().min(0).max(100_000);
const prices = z.strictObject({ mono: minor, color: minor });
/** A paper's prices per impression, and (when it differs) per impression printed two-sided. */
const paperPrices = z.strictObject({ mono: minor, color: minor, duplex: prices.optional() });

export const tariffSchema = z.strictObject({
  /** Price of one impression (one side of a sheet), in minor units. */
  mono: minor.default(10),
  color: minor.default(50),
  /** Price of one impression printed two-sided, when it differs. */
  duplex: prices.optional(),
  /**
   * Prices by paper: a media keyword prefix (`iso_a3`, `na_ledger`) → prices per impression, and
   * its own two-sided prices (`duplex`). A two-sided job on a paper without them is charged the
   * paper's price less the share two-sided saves on the queue's own prices (`duplex` of `mono` and
   * `color`), rounded to the minor unit.
   */
  media: z.record(z.string().min(2).max(64), paperPrices).default({}),
  /** Free printing per patron and period: a number of impressions, or a value. */
  free: z
    .strictObject({
      period: z.enum(['day', 'week']).default('day'),
      impressions: z.number().int().min(0).max(100_000).default(0),
      amountMinor: minor.default(0),
    })
    .refine((free) => free.impressions === 0 || free.amountMinor === 0, {
      message: 'a free allowance is of pages (impressions) or of value (amountMinor), not both',
    })
    .optional(),
});
export type Tariff = z.infer<typeof tariffSchema>;

export interface JobCostBasis {
  impressions: number;
  color: boolean;
  duplex: boolean;
  media: string;
}

/** Free allowance already used in the current period. */
export interface AllowanceUsed {
  impressions: number;
  amountMinor: number;
}

export function unitPrice(tariff: Tariff, job: Omit<JobCostBasis, 'impressions'>): number {
  const ink = job.color ? 'color' : 'mono';
  const paper = Object.entries(tariff.media)
    .filter(([prefix]) => job.media.startsWith(prefix))
    .sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  if (!job.duplex) return (paper ?? tariff)[ink];
  if (!paper) return (tariff.duplex ?? tariff)[ink];
  if (paper.duplex) return paper.duplex[ink];
  // The paper's price, less the share of it two-sided saves on the queue's own paper.
  if (!tariff.duplex || tariff[ink] === 0) return paper[ink];
  return Math.round((paper[ink] * tariff.duplex[ink]) / tariff[ink]);
}

export function quote(tariff: Tariff, job: JobCostBasis, used: AllowanceUsed, currency: string): PrintQuote {
  const unit = unitPrice(tariff, job);
  const priceMinor = unit * job.impressions;
  let freeImpressions = 0;
  let freeMinor = 0;
  if (tariff.free) {
    freeImpressions = Math.min(job.impressions, Math.max(0, tariff.free.impressions - used.impressions));
    freeMinor = freeImpressions * unit;
    const valueLeft = Math.max(0, tariff.free.amountMinor - used.amountMinor);
    freeMinor = Math.min(priceMinor, freeMinor + valueLeft);
  }
  return {
    impressions: job.impressions,
    freeImpressions,
    priceMinor,
    freeMinor,
    amountMinor: priceMinor - freeMinor,
    currency,
  };
}

/** What stays due when only `printed` of the charged impressions came out. */
export function dueFor(
  printed: number,
  charged: { impressions: number; priceMinor: number; freeMinor: number },
): number {
  if (charged.impressions <= 0) return 0;
  const unit = charged.priceMinor / charged.impressions;
  return Math.max(0, Math.round(Math.min(printed, charged.impressions) * unit) - charged.freeMinor);
}

/** When the allowance period that holds `now` began (local midnight; a week starts on Monday). */
export function periodStart(period: 'day' | 'week', now: number): number {
  const date = new Date(now);
  date.setHours(0, 0, 0, 0);
  if (period === 'week') date.setDate(date.getDate() - ((date.getDay() + 6) % 7));
  return date.getTime();
}
