/**
 * The desk's gates together, as staff and the statistics see them: one alarm history (each
 * gate's pages merged newest first), acknowledging an alarm whichever gate raised it, and the
 * visitor counts of every gate per local hour, local day or gate. Each gate keeps its own rows; this only
 * puts them side by side.
 */
import { CarrelError } from '../../../core/errors.js';
import type { DeviceEntry } from '../../family.js';
import { StatisticsRangeError } from '../../statistics/errors.js';
import { localHourStarts, periodFunction, QUARTER_MS, reportSlot } from '../../statistics/measures.js';
import type { AlarmCursor, GateAlarmRecord } from './alarm-history.js';
import type { GatePort } from './port.js';

const HOUR_MS = 3_600_000;
/** The longest range one visitor query may span, as for the desk statistics. */
export const MAX_VISITOR_RANGE_DAYS = 366;
export const MAX_ALARM_PAGE = 500;

export interface AlarmPageQuery {
  from: number;
  to: number;
  limit: number;
  /** The `next` of the page before. */
  after?: string;
  gate?: string;
  open?: boolean;
}

export interface AlarmPage {
  alarms: GateAlarmRecord[];
  /** Give as `after` for the next (older) page; null when this is the last. */
  next: string | null;
}

type Gate = Pick<DeviceEntry<GatePort>, 'id' | 'port'>;

/** One page of every gate's alarms (or one gate's), newest first. */
export function alarmPage(gates: readonly Gate[], query: AlarmPageQuery): AlarmPage {
  const limit = Math.min(Math.max(1, query.limit), MAX_ALARM_PAGE);
  const before = query.after === undefined ? undefined : cursorOf(query.after);
  const chosen = query.gate === undefined ? gates : gates.filter((gate) => gate.id === query.gate);
  const found = chosen.flatMap((gate) =>
    gate.port.alarmHistory({
      from: query.from,
      to: query.to,
      limit: limit + 1,
      ...(before ? { before } : {}),
      ...(query.open ? { open: true } : {}),
    }),
  );
  found.sort((a, b) => b.time.localeCompare(a.time) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const alarms = found.slice(0, limit);
  const last = alarms[alarms.length - 1];
  return { alarms, next: found.length > limit && last ? `${Date.parse(last.time)}.${last.id}` : null };
}

/** Acknowledges an alarm of whichever gate raised it; throws `alarm_not_found` when none did. */
export function acknowledgeAlarm(gates: readonly Gate[], id: string, who: string): GateAlarmRecord {
  for (const gate of gates) {
    const record = gate.port.acknowledgeAlarm(id, who);
    if (record) return record;
  }
  // The id asked for is not repeated: what was pasted there may be a patron barcode or a token.
  throw new CarrelError('alarm_not_found', 'no gate alarm has this id: the alarm history lists them');
}

function cursorOf(text: string): AlarmCursor {
  const match = /^(\d{1,15})\.([0-9A-Za-z-]{1,64})$/.exec(text);
  if (!match) throw new CarrelError('alarm_cursor_invalid', 'after: not a page cursor from this API');
  return { time: Number(match[1]), id: match[2]! };
}

export const VISITOR_DIMENSIONS = ['hour', 'day', 'gate'] as const;
export type VisitorDimension = (typeof VISITOR_DIMENSIONS)[number];

export interface VisitorQuery {
  from: number;
  to: number;
  groupBy: readonly VisitorDimension[];
  gate?: string;
  /** IANA time zone the days and hours are cut in (the desk's own by default). */
  timeZone?: string;
}

export interface VisitorReportRow {
  /** The instant the local hour begins, ISO 8601 (the UTC hour where the zone is whole hours off UTC). */
  hour?: string;
  /** The local day, YYYY-MM-DD, in the report's zone. */
  day?: string;
  gate?: string;
  in: number;
  out: number;
}

export interface VisitorReport {
  /** The range counted, widened to whole UTC hours (quarter hours in a zone a half or quarter hour off UTC). */
  from: string;
  to: string;
  /** The zone the days and hours are cut in. */
  timeZone: string;
  groupBy: VisitorDimension[];
  rows: VisitorReportRow[];
}

/**
 * People in and out over [from, to), grouped by hour, day and gate. Days and hours are the desk's
 * own, in its time zone (or the one the query names), as the measures cut them: a day runs from
 * local midnight to the next, 23 or 25 hours on the days the clocks change, and a day in India
 * begins at half past a UTC hour.
 */
export function visitorReport(gates: readonly Gate[], query: VisitorQuery): VisitorReport {
  if (!Number.isFinite(query.from) || !Number.isFinite(query.to))
    throw new StatisticsRangeError('"from" and "to" must be valid instants');
  if (query.to <= query.from) throw new StatisticsRangeError('"to" must be after "from"');
  // Whole hours where the zone keeps whole hours off UTC (the store then sums per hour), whole
  // quarter hours where it does not.
  const slotMs = reportSlot(query.timeZone, query.from, query.to) * QUARTER_MS;
  const from = Math.floor(query.from / slotMs) * slotMs;
  const to = Math.ceil(query.to / slotMs) * slotMs;
  if (to - from > MAX_VISITOR_RANGE_DAYS * 24 * HOUR_MS)
    throw new StatisticsRangeError(`a range may span at most ${MAX_VISITOR_RANGE_DAYS} days`);
  const groupBy = VISITOR_DIMENSIONS.filter((dimension) => query.groupBy.includes(dimension));
  const byHour = groupBy.includes('hour');
  const byDay = groupBy.includes('day');
  const byGate = groupBy.includes('gate');
  const by = !byHour && !byDay ? 'none' : slotMs === HOUR_MS ? 'hour' : 'quarter';
  const dayOf = periodFunction('day', query.timeZone);
  const hourStartOf = localHourStarts(query.timeZone);
  const chosen = query.gate === undefined ? gates : gates.filter((gate) => gate.id === query.gate);
  const rows = new Map<string, VisitorReportRow>();
  for (const gate of chosen) {
    for (const counted of gate.port.visitorCounts(from, to, by)) {
      const slot = by === 'none' ? undefined : counted[by];
      const quarter = slot === undefined ? 0 : Date.parse(slot) / QUARTER_MS;
      const row: VisitorReportRow = {
        ...(byHour ? { hour: new Date(hourStartOf(quarter)).toISOString() } : {}),
        ...(byDay ? { day: dayOf(quarter) } : {}),
        ...(byGate ? { gate: gate.id } : {}),
        in: 0,
        out: 0,
      };
      const key = `${row.hour ?? ''}|${row.day ?? ''}|${row.gate ?? ''}`;
      const sum = rows.get(key) ?? row;
      sum.in += counted.in;
      sum.out += counted.out;
      rows.set(key, sum);
    }
  }
  const ordered = [...rows.values()].sort(
    (a, b) =>
      (a.hour ?? a.day ?? '').localeCompare(b.hour ?? b.day ?? '') ||
      (a.gate ?? '').localeCompare(b.gate ?? ''),
  );
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timeZone: query.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    groupBy,
    rows: ordered,
  };
}
