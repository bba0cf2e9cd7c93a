/**
 * The print ledger as measures: what was charged at the stations (amount,
 * jobs, pages) per queue, what was refunded (amount, count), deposits by where
 * the money came from, and payouts. Counts and money only: the ledger's
 * accounts never leave it.
 */
import type { PrintAccountService } from '../contracts/print-accounts.js';
import type { MeasureDefinition, MeasureRow, MeasureSource } from '../statistics/measures.js';

const HOUR_MS = 3_600_000;

const MEASURES: MeasureDefinition[] = [
  { name: 'print.jobs', summary: 'print jobs released and charged', unit: 'count', dimensions: ['queue'] },
  { name: 'print.pages', summary: 'pages charged for at release', unit: 'count', dimensions: ['queue'] },
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

export function printMeasures(accounts: Pick<PrintAccountService, 'ledgerHours'>): MeasureSource {
  return {
    measures: MEASURES,
    *rows(fromHour, toHour) {
      let hours: ReturnType<PrintAccountService['ledgerHours']>;
      try {
        hours = accounts.ledgerHours(fromHour * HOUR_MS, toHour * HOUR_MS);
      } catch {
        return; // The ledger is not open: nothing to count.
      }
      for (const row of hours) {
        const at = (measure: string, dims: Record<string, string>, value: number): MeasureRow => ({
          hour: row.hour,
          measure,
          dims,
          value,
        });
        const money = { queue: row.queue, currency: row.currency };
        if (row.kind === 'charge') {
          yield at('print.jobs', { queue: row.queue }, row.entries);
          yield at('print.pages', { queue: row.queue }, row.pages);
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
