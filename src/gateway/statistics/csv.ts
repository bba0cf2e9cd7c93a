import type { StatisticsReport, StatisticsRow } from '../contracts/statistics.js';

const COLUMN_ORDER = ['hour', 'day', 'terminal', 'kind', 'outcome', 'reason', 'offline', 'count'] as const;
type Column = (typeof COLUMN_ORDER)[number];

/**
 * A statistics report as CSV (RFC 4180): a header row, CRLF line ends, fields
 * quoted when they hold a comma, quote, CR or LF. Columns are the grouped
 * dimensions, then outcome, reason (when grouped), offline and count.
 */
export function statisticsCsv(report: StatisticsReport): string {
  const columns = COLUMN_ORDER.filter(
    (c) =>
      c === 'outcome' ||
      c === 'offline' ||
      c === 'count' ||
      (report.groupBy as readonly string[]).includes(c),
  );
  const lines = [columns.map(csvField).join(',')];
  for (const row of report.rows) lines.push(columns.map((c) => csvField(cell(row, c))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function cell(row: StatisticsRow, column: Column): string {
  const value = row[column];
  if (value === undefined) return '';
  return String(value);
}

/** One RFC 4180 field. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
