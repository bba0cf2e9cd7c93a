/**
 * The print ledger as measures: what was charged at the stations (amount,
 * jobs, pages) per queue, what was refunded (amount, count), deposits by where
 * the money came from, and payouts. Counts and money only: the ledger's
 * accounts never leave it.
 */
import type { PrintAccountService } from '../contracts/print-accounts.js';
import type { MeasureDefinition, MeasureRow, MeasureSource } from '../statistics/measures.js';

const QUARTER_MS = 900_000;

const MEASURES: MeasureDefinition[] = [
  {
    name: 'print.jobs',
    summary: 'print jobs released (free ones too), by queue and colour',
    unit: 'count',
    dimensions: ['queue', 'colour'],
  },
  {
    name: 'print.pages',
    summary: 'pages printed from released jobs (as the printer counted them), by queue and colour',
    unit: 'count',
    dimensions: ['queue', 'colour'],
  },
  {
    name: 'print.income',
    summary: 'money charged for printing',
    unit: 'minor',
    dimensions: ['queue', 'currency'],
  },
  {
    name: 'print.refunds',
    summary: 'refunds (automatic and by staff)',
    unit: 'count',
    dimensions: ['queue'],
  },
  {
    name: 'print.refunded',
    summary: 'money refunded to print accounts',
    unit: 'minor',
    dimensions: ['queue', 'currency'],
  },
  {
    name: 'print.deposits',
    summary: 'money put on print accounts, by where it came from (cash-desk, payment, …)',
    unit: 'minor',
    dimensions: ['source', 'currency'],
  },
  { name: 'print.payouts', summary: 'balances paid out', unit: 'minor', dimensions: ['currency'] },
];

export function printMeasures(
  accounts: Pick<PrintAccountService, 'ledgerQuarters' | 'releaseQuarters'>,
): MeasureSource {
  return {
    measures: MEASURES,
    *rows(fromQuarter, toQuarter) {
      let quarters: ReturnType<PrintAccountService['ledgerQuarters']>;
      let releases: ReturnType<PrintAccountService['releaseQuarters']>;
      try {
        quarters = accounts.ledgerQuarters(fromQuarter * QUARTER_MS, toQuarter * QUARTER_MS);
        releases = accounts.releaseQuarters(fromQuarter * QUARTER_MS, toQuarter * QUARTER_MS);
      } catch {
        return; // The ledger is not open: nothing to count.
      }
      for (const row of releases) {
        const dims = { queue: row.queue, colour: row.colour };
        yield { quarter: row.quarter, measure: 'print.jobs', dims, value: row.jobs } satisfies MeasureRow;
        yield { quarter: row.quarter, measure: 'print.pages', dims, value: row.pages } satisfies MeasureRow;
      }
      for (const row of quarters) {
        const at = (measure: string, dims: Record<string, string>, value: number): MeasureRow => ({
          quarter: row.quarter,
          measure,
          dims,
          value,
        });
        const money = { queue: row.queue, currency: row.currency };
        if (row.kind === 'charge') {
          yield at('print.income', money, -row.amountMinor);
        } else if (row.kind === 'refund') {
          yield at('print.refunds', { queue: row.queue }, row.entries);
          yield at('print.refunded', money, row.amountMinor);
        } else if (row.kind === 'deposit') {
          yield at('print.deposits', { source: row.source, currency: row.currency }, row.amountMinor);
        } else if (row.kind === 'payout') {
          yield at('print.payouts', { currency: row.currency }, -row.amountMinor);
        }
      }
    },
  };
}
