/**
 * The card issue records as measures: library cards issued per printer and quarter hour, reprints (a card
 * that replaced a lost or damaged one) apart, and issues that failed. Counts only: the records keep
 * the patron for staff, the measures never do.
 */
import type { DeviceEntry } from '../../family.js';
import type { MeasureRow, MeasureSource } from '../../statistics/measures.js';
import type { CardPrinterPort } from './port.js';

const QUARTER_MS = 900_000;
type CardPrinter = Pick<DeviceEntry<CardPrinterPort>, 'id' | 'port'>;

export function cardMeasures(printers: () => readonly CardPrinter[]): MeasureSource {
  return {
    measures: [
      {
        name: 'cards.issued',
        summary: 'library cards issued (printed, stripe read back), reprints of a lost or damaged card apart',
        unit: 'count',
        dimensions: ['printer', 'reprint'],
      },
      {
        name: 'cards.failed',
        summary: 'card issues that failed (no card came out right)',
        unit: 'count',
        dimensions: ['printer'],
      },
    ],
    *rows(fromQuarter, toQuarter) {
      for (const printer of printers()) {
        let counts: ReturnType<CardPrinterPort['issueCounts']>;
        try {
          counts = printer.port.issueCounts(fromQuarter * QUARTER_MS, toQuarter * QUARTER_MS);
        } catch {
          continue; // Not running (its records are not open): nothing to count.
        }
        for (const row of counts) {
          const issued = row.result === 'issued';
          const measured: MeasureRow = {
            quarter: row.quarter,
            measure: issued ? 'cards.issued' : 'cards.failed',
            dims: issued
              ? { printer: printer.id, reprint: row.reprint ? 'yes' : 'no' }
              : { printer: printer.id },
            value: row.count,
          };
          yield measured;
        }
      }
    },
  };
}
