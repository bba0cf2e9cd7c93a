/**
 * A gate's visitor counts in SQLite: people in and out per 15-minute bucket (UTC quarter
 * hours since the epoch), and the counter's last reading, written in one transaction with the
 * counts it gave — so a restart takes up from that reading and never counts anyone twice.
 * All gates share the two tables; each store keeps to its own gate's rows.
 */
import type { Database, Statement } from '../../storage/index.js';
import { migrate } from '../../storage/index.js';

export const QUARTER_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface CounterReading {
  in: number;
  out: number;
  /** Epoch ms of the reading. */
  at: number;
}

export interface VisitorRow {
  /** Start of the UTC quarter hour, ISO 8601, when grouped by quarter. */
  quarter?: string;
  /** Start of the UTC hour, ISO 8601, when grouped by hour. */
  hour?: string;
  /** The UTC day, YYYY-MM-DD, when grouped by day. */
  day?: string;
  in: number;
  out: number;
}

const MIGRATIONS = [
  `CREATE TABLE gate_visitors (
    gate TEXT NOT NULL,
    quarter INTEGER NOT NULL,
    visitors_in INTEGER NOT NULL,
    visitors_out INTEGER NOT NULL,
    PRIMARY KEY (gate, quarter)
  ) WITHOUT ROWID;
  CREATE TABLE gate_counter_readings (
    gate TEXT PRIMARY KEY,
    counted_in INTEGER NOT NULL,
    counted_out INTEGER NOT NULL,
    at INTEGER NOT NULL
  );`,
];

const GROUPING: Record<'quarter' | 'hour' | 'day' | 'none', { sql: string; ms: number }> = {
  quarter: { sql: 'quarter', ms: QUARTER_MS },
  hour: { sql: `quarter / ${HOUR_MS / QUARTER_MS}`, ms: HOUR_MS },
  day: { sql: `quarter / ${DAY_MS / QUARTER_MS}`, ms: DAY_MS },
  none: { sql: '0', ms: 0 },
};

export class VisitorStore {
  private readonly addCounts: Statement;
  private readonly saveReading: Statement;
  private readonly loadReading: Statement;
  private readonly total: Statement;
  /** The last reading as written; undefined until first read from the table (a poll that moved nothing reads only this). */
  private last: { reading: CounterReading | undefined } | undefined;

  constructor(
    private readonly db: Database,
    private readonly gate: string,
  ) {
    migrate(db, 'gate-visitors', MIGRATIONS);
    this.addCounts = db.prepare(
      `INSERT INTO gate_visitors (gate, quarter, visitors_in, visitors_out) VALUES (?, ?, ?, ?)
       ON CONFLICT (gate, quarter) DO UPDATE SET
         visitors_in = visitors_in + excluded.visitors_in,
         visitors_out = visitors_out + excluded.visitors_out`,
    );
    this.saveReading = db.prepare(
      `INSERT INTO gate_counter_readings (gate, counted_in, counted_out, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (gate) DO UPDATE SET
         counted_in = excluded.counted_in, counted_out = excluded.counted_out, at = excluded.at`,
    );
    this.loadReading = db.prepare(
      'SELECT counted_in, counted_out, at FROM gate_counter_readings WHERE gate = ?',
    );
    this.total = db.prepare(
      `SELECT COALESCE(SUM(visitors_in), 0) AS visitors_in, COALESCE(SUM(visitors_out), 0) AS visitors_out
       FROM gate_visitors WHERE gate = ? AND quarter >= ? AND quarter < ?`,
    );
  }

  /** The counter as last read (and counted), if it ever was. */
  lastReading(): CounterReading | undefined {
    if (!this.last) {
      const row = this.loadReading.get(this.gate) as
        | { counted_in: number; counted_out: number; at: number }
        | undefined;
      this.last = { reading: row && { in: row.counted_in, out: row.counted_out, at: row.at } };
    }
    const reading = this.last.reading;
    return reading && { ...reading };
  }

  /** Adds the people a reading counted to its quarter, and keeps the reading, together. */
  take(reading: CounterReading, counted: { in: number; out: number }): void {
    this.db.transaction(() => {
      if (counted.in > 0 || counted.out > 0)
        this.addCounts.run(this.gate, Math.floor(reading.at / QUARTER_MS), counted.in, counted.out);
      this.saveReading.run(this.gate, reading.in, reading.out, reading.at);
    });
    // Kept once committed: this store is the only writer of its gate's reading.
    this.last = { reading: { in: reading.in, out: reading.out, at: reading.at } };
  }

  /** People in and out over the quarters starting in [from, to) (epoch ms, taken to their quarter). */
  sum(from: number, to: number): { in: number; out: number } {
    const row = this.total.get(this.gate, Math.floor(from / QUARTER_MS), Math.ceil(to / QUARTER_MS)) as {
      visitors_in: number;
      visitors_out: number;
    };
    return { in: row.visitors_in, out: row.visitors_out };
  }

  /** Counts over whole quarters in [from, to), per UTC quarter, hour or day, or all together. */
  report(from: number, to: number, by: 'quarter' | 'hour' | 'day' | 'none'): VisitorRow[] {
    const grouping = GROUPING[by];
    const rows = this.db
      .prepare(
        `SELECT ${grouping.sql} AS slot, SUM(visitors_in) AS visitors_in, SUM(visitors_out) AS visitors_out
         FROM gate_visitors WHERE gate = ? AND quarter >= ? AND quarter < ?
         GROUP BY slot ORDER BY slot`,
      )
      .all(this.gate, Math.floor(from / QUARTER_MS), Math.ceil(to / QUARTER_MS)) as Array<{
      slot: number;
      visitors_in: number;
      visitors_out: number;
    }>;
    return rows.map((row) => ({
      ...(by === 'quarter' ? { quarter: new Date(row.slot * grouping.ms).toISOString() } : {}),
      ...(by === 'hour' ? { hour: new Date(row.slot * grouping.ms).toISOString() } : {}),
      ...(by === 'day' ? { day: new Date(row.slot * grouping.ms).toISOString().slice(0, 10) } : {}),
      in: row.visitors_in,
      out: row.visitors_out,
    }));
  }

  /** Forgets this gate's counts of quarters before `before` (epoch ms); returns how many went. */
  forget(before: number): number {
    return this.db
      .prepare('DELETE FROM gate_visitors WHERE gate = ? AND quarter < ?')
      .run(this.gate, Math.floor(before / QUARTER_MS)).changes;
  }
}
