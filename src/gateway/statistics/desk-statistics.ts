import { type Clock, systemClock } from '../../core/clock.js';
import {
  type DeskTransaction,
  STATISTICS_DIMENSIONS,
  type StatisticsDimension,
  type StatisticsQuery,
  type StatisticsReport,
  type StatisticsRow,
  type StatisticsService,
} from '../contracts/statistics.js';
import { type Database, migrate } from '../storage/index.js';
import { StatisticsRangeError } from './errors.js';

const HOUR_MS = 3_600_000;
/** The longest range one query may span, so a query stays cheap on a desk machine. */
export const MAX_RANGE_DAYS = 366;
/** Terminal, kind and reason are names and codes; anything longer is cut, never stored whole. */
const MAX_LABEL_LENGTH = 64;

const STEPS = [
  `CREATE TABLE desk_statistics (
    hour INTEGER NOT NULL,
    terminal TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    offline INTEGER NOT NULL DEFAULT 0,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour, terminal, kind, outcome, reason, offline)
  ) WITHOUT ROWID`,
];

/** SQL for each dimension, from a fixed table: nothing from a request is spliced into SQL. */
const DIMENSION_SQL: Record<StatisticsDimension, string> = {
  hour: 'hour',
  day: 'hour / 24',
  terminal: 'terminal',
  kind: 'kind',
  reason: 'reason',
};

interface CountRow {
  hour?: number;
  day?: number;
  terminal?: string;
  kind?: string;
  reason?: string;
  outcome: DeskTransaction['outcome'];
  offline: number;
  count: number;
}

/**
 * Counts of desk transactions per UTC hour, terminal, kind, outcome, reason and
 * offline flag, in SQLite. Recording is one UPSERT on a small row: no patron
 * data is ever stored, only counts.
 */
export class DeskStatistics implements StatisticsService {
  private readonly clock: Clock;
  private readonly upsert;

  constructor(
    private readonly db: Database,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    migrate(db, 'statistics', STEPS);
    this.upsert = db.prepare(
      `INSERT INTO desk_statistics (hour, terminal, kind, outcome, reason, offline, count)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hour, terminal, kind, outcome, reason, offline)
       DO UPDATE SET count = count + excluded.count`,
    );
  }

  /** Counts one transaction (or `times` of them) in the hour of `at`. */
  record(transaction: DeskTransaction, at: number = this.clock.now(), times = 1): void {
    if (!Number.isFinite(at) || !Number.isInteger(times) || times < 1) return;
    this.upsert.run(
      Math.floor(at / HOUR_MS),
      label(transaction.terminal),
      label(transaction.kind),
      transaction.outcome,
      transaction.outcome === 'ok' ? '' : label(transaction.reason ?? ''),
      transaction.offline ? 1 : 0,
      times,
    );
  }

  /**
   * Sums counts over whole UTC hours overlapping [from, to), grouped by the
   * given dimensions and always by outcome and offline. Throws
   * StatisticsRangeError for a range that is unreadable, empty or longer than
   * MAX_RANGE_DAYS.
   */
  query(request: StatisticsQuery): StatisticsReport {
    const fromMs = instant(request.from, 'from');
    const toMs = instant(request.to, 'to');
    if (toMs <= fromMs) throw new StatisticsRangeError('"to" must be after "from"');
    const firstHour = Math.floor(fromMs / HOUR_MS);
    const endHour = Math.ceil(toMs / HOUR_MS);
    if (endHour - firstHour > MAX_RANGE_DAYS * 24)
      throw new StatisticsRangeError(`a range may span at most ${MAX_RANGE_DAYS} days`);

    const groupBy = STATISTICS_DIMENSIONS.filter((d) => request.groupBy.includes(d));
    const columns = [
      ...groupBy.map((d) => `${DIMENSION_SQL[d]} AS ${d}`),
      'outcome',
      'offline',
      'SUM(count) AS count',
    ];
    const keys = [...groupBy.map((d) => DIMENSION_SQL[d]), 'outcome', 'offline'];
    const where = ['hour >= ?', 'hour < ?'];
    const parameters: Array<string | number> = [firstHour, endHour];
    for (const field of ['terminal', 'kind', 'outcome'] as const) {
      const value = request[field];
      if (value === undefined) continue;
      where.push(`${field} = ?`);
      parameters.push(field === 'outcome' ? value : label(value));
    }
    const sql = `SELECT ${columns.join(', ')} FROM desk_statistics WHERE ${where.join(' AND ')}
      GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}`;
    const found = this.db.prepare(sql).all(...parameters) as CountRow[];
    return {
      from: new Date(firstHour * HOUR_MS).toISOString(),
      to: new Date(endHour * HOUR_MS).toISOString(),
      groupBy,
      rows: found.map((row) => toRow(row, groupBy)),
    };
  }

  /** Forgets counts of hours before `before` (epoch ms); returns how many rows went. */
  prune(before: number): number {
    return this.db.prepare('DELETE FROM desk_statistics WHERE hour < ?').run(Math.floor(before / HOUR_MS))
      .changes;
  }
}

function toRow(row: CountRow, groupBy: readonly StatisticsDimension[]): StatisticsRow {
  const by = (d: StatisticsDimension) => groupBy.includes(d);
  return {
    ...(by('hour') ? { hour: new Date(row.hour! * HOUR_MS).toISOString() } : {}),
    ...(by('day') ? { day: new Date(row.day! * 24 * HOUR_MS).toISOString().slice(0, 10) } : {}),
    ...(by('terminal') ? { terminal: row.terminal! } : {}),
    ...(by('kind') ? { kind: row.kind! } : {}),
    outcome: row.outcome,
    ...(by('reason') && row.reason ? { reason: row.reason } : {}),
    offline: row.offline === 1,
    count: row.count,
  };
}

function instant(value: number | Date | string, name: string): number {
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new StatisticsRangeError(`"${name}" is not a valid instant`);
  return ms;
}

function label(value: string): string {
  return value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value;
}
