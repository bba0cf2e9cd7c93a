/**
 * The payment journals as measures: cash taken by the devices (coins and
 * notes), fees paid to the ILS by fee type, print top-ups, payments completed.
 */
import type { PaymentService } from '../contracts/payments.js';
import type { MeasureRow, MeasureSource } from '../statistics/measures.js';

const QUARTER_MS = 900_000;

export function paymentMeasures(payments: Pick<PaymentService, 'statistics'>): MeasureSource {
  return {
    measures: [
      {
        name: 'cash.taken',
        summary: 'cash the devices took, by device',
        unit: 'minor',
        dimensions: ['device', 'currency'],
      },
      { name: 'cash.coins', summary: 'coins accepted', unit: 'count', dimensions: [] },
      { name: 'cash.notes', summary: 'notes accepted', unit: 'count', dimensions: [] },
      {
        name: 'payments.fees_paid',
        summary: 'fees paid to the ILS, by fee type',
        unit: 'minor',
        dimensions: ['type', 'currency'],
      },
      { name: 'payments.top_ups', summary: 'print credit bought', unit: 'minor', dimensions: ['currency'] },
      { name: 'payments.completed', summary: 'payments completed', unit: 'count', dimensions: [] },
    ],
    *rows(fromQuarter, toQuarter) {
      let rows: ReturnType<PaymentService['statistics']>;
      try {
        rows = payments.statistics({
          from: fromQuarter * QUARTER_MS,
          to: toQuarter * QUARTER_MS,
          perQuarter: true,
        });
      } catch {
        return; // The journals are not open: nothing to count.
      }
      for (const row of rows) {
        // Counted per UTC quarter hour: in India or Nepal a local day begins within a UTC hour.
        const quarter = Date.parse(row.hour) / QUARTER_MS;
        const currency = { currency: row.currency };
        const at = (measure: string, dims: Record<string, string>, value: number): MeasureRow => ({
          quarter,
          measure,
          dims,
          value,
        });
        for (const [device, taken] of Object.entries(row.cashTakenByDeviceMinor))
          yield at('cash.taken', { device, currency: row.currency }, taken);
        yield at('cash.coins', {}, row.coins);
        yield at('cash.notes', {}, row.notes);
        for (const [type, paid] of Object.entries(row.feesPaidMinor))
          yield at('payments.fees_paid', { type, currency: row.currency }, paid);
        yield at('payments.top_ups', currency, row.topUpsMinor);
        yield at('payments.completed', {}, row.payments);
      }
    },
  };
}
