/**
 * The desk statistics (every checkout, checkin, renewal and hold through the
 * API or the SIP2 relay, counted per hour) as the measure
 * `circulation.transactions`.
 */
import type { StatisticsService } from '../contracts/statistics.js';
import type { MeasureRow, MeasureSource } from './measures.js';

const HOUR_MS = 3_600_000;
const GROUPABLE = ['terminal', 'kind', 'reason'] as const;

export function circulationMeasures(statistics: StatisticsService): MeasureSource {
  return {
    measures: [
      {
        name: 'circulation.transactions',
        summary:
          'checkouts, checkins, renewals and holds at the terminals (kiosks, desk clients, self-checks through the relay), refused ones with the reason, offline ones apart',
        unit: 'count',
        dimensions: ['terminal', 'kind', 'outcome', 'reason', 'offline'],
      },
    ],
    *rows(fromHour, toHour, _wanted, keep) {
      // Grouped in SQL by what the report keeps apart (outcome and offline always are): a year
      // of a branch's terminals is then thousands of rows, not hundreds of thousands.
      const report = statistics.query({
        from: fromHour * HOUR_MS,
        to: toHour * HOUR_MS,
        groupBy: ['hour', ...GROUPABLE.filter((dim) => keep.has(dim))],
      });
      for (const row of report.rows)
        yield {
          hour: Date.parse(row.hour ?? '') / HOUR_MS,
          measure: 'circulation.transactions',
          dims: {
            terminal: row.terminal ?? '',
            kind: row.kind ?? '',
            outcome: row.outcome,
            reason: row.reason ?? '',
            offline: row.offline ? 'yes' : 'no',
          },
          value: row.count,
        } satisfies MeasureRow;
    },
  };
}
