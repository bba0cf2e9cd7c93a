/**
 * The desk's transaction counts (`GET /api/v1/stats`) by its own hours and days: a day runs from
 * local midnight to the next in the desk's time zone (or the one asked for) — 23 or 25 hours on the
 * days the clocks change — and a day in India begins at half past a UTC hour, as the measures and
 * the visitor statistics cut them. The store keeps UTC quarter hours: they are summed per UTC hour
 * where the zone keeps whole hours off UTC through the range, per quarter where it does not, and
 * each sum is put in the local hour and day it falls in.
 */
import {
  STATISTICS_DIMENSIONS,
  type StatisticsDimension,
  type StatisticsQuery,
  type StatisticsReport,
  type StatisticsRow,
  type StatisticsService,
} from '../contracts/statistics.js';
import { localHourStarts, periodFunction, QUARTER_MS, reportSlot } from './measures.js';

export interface LocalStatisticsQuery extends StatisticsQuery<StatisticsDimension> {
  /** IANA time zone the days and hours are cut in; the process's own (the desk's) when absent. */
  timeZone?: string;
}

export interface LocalStatisticsReport extends StatisticsReport<StatisticsDimension> {
  /** The zone the days and hours were cut in. */
  timeZone: string;
}

export function localStatisticsReport(
  statistics: StatisticsService,
  query: LocalStatisticsQuery,
): LocalStatisticsReport {
  const { timeZone, ...request } = query;
  const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const byHour = request.groupBy.includes('hour');
  const byDay = request.groupBy.includes('day');
  if (!byHour && !byDay) return { ...statistics.query(request), timeZone: zone };
  const others = request.groupBy.filter((d) => d !== 'hour' && d !== 'day');
  const from = instantOf(request.from);
  const to = instantOf(request.to);
  // Unreadable instants are the store's to refuse, in its words.
  const quarters =
    Number.isFinite(from) && Number.isFinite(to) && to > from ? reportSlot(timeZone, from, to) === 1 : false;
  const counted = quarters
    ? statistics.query({ ...request, groupBy: ['quarter', ...others] })
    : statistics.query({ ...request, groupBy: ['hour', ...others] });
  const dayOf = periodFunction('day', timeZone);
  const hourStartOf = localHourStarts(timeZone);
  const rows = new Map<string, StatisticsRow>();
  for (const row of counted.rows) {
    const quarter = Date.parse((quarters ? row.quarter : row.hour) ?? '') / QUARTER_MS;
    const hour = byHour ? new Date(hourStartOf(quarter)).toISOString() : undefined;
    const day = byDay ? dayOf(quarter) : undefined;
    const key = [hour, day, row.terminal, row.kind, row.reason, row.outcome, row.offline].join('\n');
    const found = rows.get(key);
    if (found) {
      found.count += row.count;
      continue;
    }
    const local: Partial<StatisticsRow> = {};
    if (hour !== undefined) local.hour = hour;
    if (day !== undefined) local.day = day;
    if (row.terminal !== undefined) local.terminal = row.terminal;
    if (row.kind !== undefined) local.kind = row.kind;
    local.outcome = row.outcome;
    if (row.reason !== undefined) local.reason = row.reason;
    local.offline = row.offline;
    local.count = row.count;
    rows.set(key, local as StatisticsRow);
  }
  // In time order, then as the store orders its keys (terminal, kind, reason, outcome, offline),
  // text by its code units as SQLite compares it.
  const ordered = [...rows.values()].sort(
    (a, b) =>
      byCode(a.hour, b.hour) ||
      byCode(a.day, b.day) ||
      byCode(a.terminal, b.terminal) ||
      byCode(a.kind, b.kind) ||
      byCode(a.reason, b.reason) ||
      byCode(a.outcome, b.outcome) ||
      Number(a.offline) - Number(b.offline),
  );
  return {
    from: counted.from,
    to: counted.to,
    timeZone: zone,
    groupBy: STATISTICS_DIMENSIONS.filter((d) => request.groupBy.includes(d)),
    rows: ordered,
  };
}

function byCode(a: string | undefined = '', b: string | undefined = ''): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function instantOf(value: number | Date | string): number {
  return typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
}
