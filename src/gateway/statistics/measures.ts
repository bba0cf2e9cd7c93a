/**
 * Every statistic of the desk in one shape: a measure (`gate.visitors_in`,
 * `print.pages`, …) summed per UTC quarter hour, with the dimensions that tell its counts
 * apart (gate, queue, kind, outcome, …). Each family keeps its own durable
 * journal (the desk statistics, the visitor counts, the print ledger, the cash
 * credits); a `MeasureSource` reads its journal as measure rows, and
 * `measureReport` groups rows from all sources by period in the library's time
 * zone (hour, day, ISO week, month, or hour of the week for a heatmap) and by
 * any dimensions. No source ever yields a patron: measures are counts and
 * amounts, dimensions name devices, terminals, kinds and reasons.
 *
 * Why quarter hours: every time zone in use is a whole number of quarter hours off UTC (India
 * +05:30, Newfoundland −03:30, Nepal +05:45, Eucla +08:45), and so are its clock changes, so a UTC
 * quarter lies wholly in one local hour and one local day of any zone, whichever zone a report is
 * cut in. A UTC hour does not: in India its first half belongs to the local hour before, and the
 * counts of 00:00–00:30 fell on the previous day. Keys in local hours would fix the zone when a
 * count is taken and repeat an hour when the clocks go back.
 */
import { StatisticsRangeError } from './errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
export const QUARTER_MS = 900_000;
/** Quarters in an hour: the slot of a report in a zone whose offset is whole hours. */
export const HOUR_QUARTERS = 4;
/** The longest range one report may span. */
export const MAX_MEASURE_RANGE_DAYS = 366;

export interface MeasureDefinition {
  /** `<family>.<measure>`, e.g. `gate.visitors_in`. */
  name: string;
  /** What it counts, for people reading the catalog. */
  summary: string;
  /** `count`, or `minor` (money in minor units; rows then carry a `currency` dimension). */
  unit: 'count' | 'minor';
  /** The dimensions its rows carry. */
  dimensions: readonly string[];
}

export interface MeasureRow {
  /**
   * The UTC quarter hour counted, as quarter hours since the epoch. A source that counts per hour
   * gives the hour's first quarter: its counts then fall in the local period where that hour
   * begins (a half hour early in India).
   */
  quarter: number;
  measure: string;
  dims: Readonly<Record<string, string>>;
  value: number;
}

/** A family's journal read as measures. */
export interface MeasureSource {
  readonly measures: readonly MeasureDefinition[];
  /**
   * Rows of the UTC quarter hours in [fromQuarter, toQuarter) for the measures in `wanted`. `keep`
   * names the dimensions the report groups by or filters on: a source may sum over every other
   * dimension before yielding (in SQL, say), which keeps a year of rows cheap; the report sums
   * again either way, so yielding them apart is never wrong. `slot` is how many quarters the
   * report tells apart: HOUR_QUARTERS when the zone is whole hours off UTC all through the range
   * (the range is then whole hours, and a source may sum each hour into its first quarter, four
   * times fewer rows), 1 in India, Newfoundland or Nepal.
   */
  rows(
    fromQuarter: number,
    toQuarter: number,
    wanted: ReadonlySet<string>,
    keep: ReadonlySet<string>,
    slot: number,
  ): Iterable<MeasureRow>;
}

export const MEASURE_PERIODS = ['hour', 'day', 'week', 'month', 'weekday-hour', 'total'] as const;
export type MeasurePeriod = (typeof MEASURE_PERIODS)[number];

export interface MeasureQuery {
  from: number;
  to: number;
  /** The measures wanted; all when absent. */
  measures?: readonly string[];
  period: MeasurePeriod;
  /** Dimensions kept apart; every other dimension is summed over. */
  groupBy?: readonly string[];
  /** Only rows whose dimension has this value. */
  where?: Readonly<Record<string, string>>;
  /** IANA time zone the periods are cut in (the desk's own by default). */
  timeZone?: string;
}

export interface MeasureReportRow {
  measure: string;
  /**
   * The period, local to the time zone: `2026-12-03T14` (hour), `2026-12-03` (day), the Monday
   * `2026-11-30` (week), `2026-12` (month), `1-14` (ISO weekday 1–7, hour 0–23), absent for total.
   */
  period?: string;
  /** The dimensions grouped by. */
  dims: Record<string, string>;
  value: number;
}

export interface MeasureReport {
  /**
   * The range counted, widened to whole UTC hours, or to quarter hours where the zone is a half or
   * quarter hour off UTC.
   */
  from: string;
  to: string;
  period: MeasurePeriod;
  timeZone: string;
  groupBy: string[];
  rows: MeasureReportRow[];
}

/**
 * Every measure the sources offer, by name. Names are ASCII identifiers (`family.measure`), so
 * code-point order is their order; `localeCompare` here would load ICU's collation data (about
 * 2.6 MB of resident memory) into every desk at start for nothing.
 */
export function measureCatalog(sources: readonly MeasureSource[]): MeasureDefinition[] {
  return sources
    .flatMap((source) => source.measures)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Groups the sources' rows over [from, to) as the query asks. */
export function measureReport(sources: readonly MeasureSource[], query: MeasureQuery): MeasureReport {
  const { fromQuarter, toQuarter, groupBy, rows } = measureRows(sources, query);
  rows.sort(
    (a, b) =>
      a.measure.localeCompare(b.measure) ||
      (a.period ?? '').localeCompare(b.period ?? '', 'en', { numeric: true }) ||
      Object.values(a.dims).join('\u0000').localeCompare(Object.values(b.dims).join('\u0000')),
  );
  return {
    from: new Date(fromQuarter * QUARTER_MS).toISOString(),
    to: new Date(toQuarter * QUARTER_MS).toISOString(),
    period: query.period,
    timeZone: query.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    groupBy,
    rows,
  };
}

/**
 * The rows `measureReport` groups, in no order and without the zone's name, for a reader that
 * only sums them (the desk totals, every minute). In the desk's own zone the periods are cut
 * with Date's local time: naming the zone or sorting with `localeCompare` would load ICU's
 * locale data (about 5 MB, and 2 MB of collation, of resident memory) into an idle desk.
 */
export function measureRows(
  sources: readonly MeasureSource[],
  query: MeasureQuery,
): { fromQuarter: number; toQuarter: number; groupBy: string[]; rows: MeasureReportRow[] } {
  if (!Number.isFinite(query.from) || !Number.isFinite(query.to))
    throw new StatisticsRangeError('"from" and "to" must be valid instants');
  if (query.to <= query.from) throw new StatisticsRangeError('"to" must be after "from"');
  // Whole hours where the zone is whole hours off UTC over the range (most of the world): the
  // sources then sum per hour, as cheaply as before quarters; whole quarter hours where it is not.
  const slot = reportSlot(query.timeZone, query.from, query.to);
  const fromQuarter = Math.floor(query.from / QUARTER_MS / slot) * slot;
  const toQuarter = Math.ceil(query.to / QUARTER_MS / slot) * slot;
  if (toQuarter - fromQuarter > MAX_MEASURE_RANGE_DAYS * 96)
    throw new StatisticsRangeError(`a range may span at most ${MAX_MEASURE_RANGE_DAYS} days`);
  const periodOf = periodFunction(query.period, query.timeZone);
  const known = new Set(measureCatalog(sources).map((m) => m.name));
  const wanted = new Set(query.measures ?? known);
  for (const name of wanted)
    if (!known.has(name)) throw new StatisticsRangeError(`there is no measure "${name}"`);
  const groupBy = [...new Set(query.groupBy ?? [])].sort();
  const where = Object.entries(query.where ?? {});
  const keep = new Set([...groupBy, ...where.map(([dim]) => dim)]);

  const sums = new Map<string, MeasureReportRow>();
  for (const source of sources) {
    if (!source.measures.some((m) => wanted.has(m.name))) continue;
    for (const row of source.rows(fromQuarter, toQuarter, wanted, keep, slot)) {
      if (
        row.value === 0 ||
        !wanted.has(row.measure) ||
        row.quarter < fromQuarter ||
        row.quarter >= toQuarter
      )
        continue;
      if (where.some(([dim, value]) => row.dims[dim] !== value)) continue;
      const period = periodOf(row.quarter);
      const dims: Record<string, string> = {};
      // Money is never summed across currencies.
      for (const dim of row.dims.currency === undefined ? groupBy : [...groupBy, 'currency'])
        dims[dim] = row.dims[dim] ?? '';
      const key = `${row.measure}\u0000${period ?? ''}\u0000${Object.values(dims).join('\u0000')}`;
      const sum = sums.get(key);
      if (sum) sum.value += row.value;
      else
        sums.set(key, {
          measure: row.measure,
          ...(period === undefined ? {} : { period }),
          dims,
          value: row.value,
        });
    }
  }
  return { fromQuarter, toQuarter, groupBy, rows: [...sums.values()] };
}

/** Whether `name` is a time zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The quarters a report over [from, to) may sum by in a zone (the process's own when none is
 * named): HOUR_QUARTERS where the zone is whole hours off UTC all through the range (most of the
 * world), 1 in India, Newfoundland or Nepal, where a UTC hour straddles two local hours.
 */
export function reportSlot(timeZone: string | undefined, from: number, to: number): number {
  return wholeHoursOff(timeZone, from, to) ? HOUR_QUARTERS : 1;
}

/** The wall clock of an instant: `YYYY`, `MM`, `DD`, `HH` (00–23), minutes, ISO weekday 1–7. */
type WallClock = (epochMs: number) => {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: number;
  weekday: number;
};

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The offset from UTC of a named zone at an instant on a whole minute, in ms, by Intl. */
function zoneOffset(timeZone: string): (epochMs: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (epochMs) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(epochMs)) parts[part.type] = part.value;
    const wall = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
    );
    return wall - epochMs;
  };
}

/**
 * Whether the zone (the process's own when none is named) is a whole number of hours off UTC all
 * through [from, to): asked once a day, as no zone keeps an offset for less than a day.
 */
function wholeHoursOff(timeZone: string | undefined, from: number, to: number): boolean {
  const offsetAt =
    timeZone === undefined
      ? (at: number) => -new Date(at).getTimezoneOffset() * 60_000
      : zoneOffset(timeZone);
  for (let at = from; at < to + DAY_MS; at += DAY_MS) {
    const onQuarter = Math.floor(Math.min(at, to) / QUARTER_MS) * QUARTER_MS;
    if (offsetAt(onQuarter) % HOUR_MS !== 0) return false;
  }
  return true;
}

/**
 * The wall clock in a named zone. Intl is asked for the zone's offset from UTC once per UTC hour
 * (a year is 8,784 of them; asking for each of its 35,136 quarters cost a report about 0.3 s of
 * CPU); the quarters of an hour share its offset unless the clocks change within it, when each
 * quarter is asked for. The wall clock is then the UTC fields of the instant moved by the offset.
 */
function zoneWallClock(timeZone: string): WallClock {
  const offsetAt = zoneOffset(timeZone);
  const hourly = new Map<number, number>();
  const offsetOfHour = (hour: number) => {
    let offset = hourly.get(hour);
    if (offset === undefined) {
      offset = offsetAt(hour * HOUR_MS);
      hourly.set(hour, offset);
    }
    return offset;
  };
  return (epochMs) => {
    const hour = Math.floor(epochMs / HOUR_MS);
    const offset = offsetOfHour(hour);
    // The same offset an hour later: the clocks did not change within this hour.
    const steady = offset === offsetOfHour(hour + 1) || epochMs === hour * HOUR_MS;
    const local = new Date(epochMs + (steady ? offset : offsetAt(epochMs)));
    return {
      year: String(local.getUTCFullYear()),
      month: pad2(local.getUTCMonth() + 1),
      day: pad2(local.getUTCDate()),
      hour: pad2(local.getUTCHours()),
      minute: local.getUTCMinutes(),
      weekday: local.getUTCDay() === 0 ? 7 : local.getUTCDay(),
    };
  };
}

/** The wall clock in the process's own zone, by Date's local time (the same zone Intl names). */
const localWallClock: WallClock = (epochMs) => {
  const date = new Date(epochMs);
  return {
    year: String(date.getFullYear()),
    month: pad2(date.getMonth() + 1),
    day: pad2(date.getDate()),
    hour: pad2(date.getHours()),
    minute: date.getMinutes(),
    weekday: date.getDay() === 0 ? 7 : date.getDay(),
  };
};

const wallClockIn = (timeZone: string | undefined): WallClock =>
  timeZone === undefined ? localWallClock : zoneWallClock(timeZone);

/**
 * The instant the local hour holding a UTC quarter hour begins, in `timeZone` (the process's own
 * when none is named): the UTC hour itself where the zone is whole hours off UTC, half past it in
 * India. Two local hours of one name (the clocks going back) are two instants.
 */
export function localHourStarts(timeZone: string | undefined): (quarter: number) => number {
  const wallClock = wallClockIn(timeZone);
  return (quarter) => quarter * QUARTER_MS - wallClock(quarter * QUARTER_MS).minute * 60_000;
}

/**
 * The local period of a UTC quarter hour, cached per quarter (a year is 35,136 of them), in
 * `timeZone` or, when none is named, the process's own zone.
 */
export function periodFunction(
  period: MeasurePeriod,
  timeZone: string | undefined,
): (quarter: number) => string | undefined {
  if (period === 'total') return () => undefined;
  const wallClock = wallClockIn(timeZone);
  const cache = new Map<number, string>();
  return (quarter) => {
    let found = cache.get(quarter);
    if (found !== undefined) return found;
    const parts = wallClock(quarter * QUARTER_MS);
    const day = `${parts.year}-${parts.month}-${parts.day}`;
    const weekday = parts.weekday;
    if (period === 'hour') found = `${day}T${parts.hour}`;
    else if (period === 'day') found = day;
    else if (period === 'month') found = day.slice(0, 7);
    else if (period === 'weekday-hour') found = `${weekday}-${Number(parts.hour)}`;
    else {
      const monday = new Date(`${day}T00:00:00Z`);
      monday.setUTCDate(monday.getUTCDate() - (weekday - 1));
      found = monday.toISOString().slice(0, 10);
    }
    cache.set(quarter, found);
    return found;
  };
}
