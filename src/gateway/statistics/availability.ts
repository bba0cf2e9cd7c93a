/**
 * Device availability for the statistics: once a minute every configured device is counted as
 * observed, and as online when its health says so, per UTC quarter hour — one small row per device
 * and quarter, as every other statistic (measures.ts says why quarters: a UTC hour straddles two
 * local days in India or Newfoundland). The report's availability of a device is its online
 * minutes over its observed minutes (the minutes Carrel was running: a desk closed overnight with
 * Carrel stopped does not count against its devices).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import { Retention } from '../retention.js';
import { type Database, migrate } from '../storage/index.js';
import { HOUR_QUARTERS, type MeasureRow, type MeasureSource, QUARTER_MS } from './measures.js';

/** How often the devices are looked at. */
export const AVAILABILITY_SAMPLE_MS = 60_000;

/** The schema steps of `device-availability`, in order (exported for the migration's test). */
export const AVAILABILITY_STEPS = [
  `CREATE TABLE device_minutes (
    hour INTEGER NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    observed INTEGER NOT NULL,
    online INTEGER NOT NULL,
    PRIMARY KEY (hour, device)
  ) WITHOUT ROWID`,
  // Minutes per UTC quarter hour, not per hour: in a zone a half or quarter hour off UTC (India,
  // Newfoundland, Nepal) an hour straddles two local hours, and at local midnight two days. An
  // hour's minutes counted before cannot be told apart by quarter: they all go into the hour's
  // first quarter (as the desk statistics' step 2 did), none lost or counted twice — so in those
  // zones an hour kept before still falls where it begins, a half hour early.
  `CREATE TABLE device_minutes_quarters (
    quarter INTEGER NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    observed INTEGER NOT NULL,
    online INTEGER NOT NULL,
    PRIMARY KEY (quarter, device)
  ) WITHOUT ROWID;
  INSERT INTO device_minutes_quarters (quarter, device, kind, observed, online)
    SELECT hour * 4, device, kind, observed, online FROM device_minutes;
  DROP TABLE device_minutes;
  ALTER TABLE device_minutes_quarters RENAME TO device_minutes`,
];

export interface DeviceAvailabilityOptions {
  database: () => Database;
  devices: () => readonly DeviceState[];
  clock: Clock;
  logger: Logger;
  /** Days the minutes are kept, as the other statistics. */
  retentionDays: number;
}

export class DeviceAvailability {
  readonly name = 'availability';
  private timer: TimerHandle | undefined;
  private retention: Retention | undefined;
  private migrated: Database | undefined;

  constructor(private readonly options: DeviceAvailabilityOptions) {}

  async start(): Promise<void> {
    this.timer ??= this.options.clock.setInterval(
      'device-availability',
      () => this.sample(),
      AVAILABILITY_SAMPLE_MS,
    );
    this.retention ??= new Retention({
      name: 'device-availability-prune',
      forget: (before) => this.prune(before),
      retentionDays: this.options.retentionDays,
      clock: this.options.clock,
      logger: this.options.logger,
    });
    this.retention.start();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.retention?.stop();
    this.retention = undefined;
  }

  /** Counts one minute for every device now (the timer calls it; tests may too). */
  sample(at: number = this.options.clock.now()): void {
    try {
      const db = this.db();
      const upsert = db.prepare(
        `INSERT INTO device_minutes (quarter, device, kind, observed, online) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (quarter, device) DO UPDATE SET observed = observed + 1, online = online + excluded.online`,
      );
      const quarter = Math.floor(at / QUARTER_MS);
      const states = this.options.devices();
      db.transaction(() => {
        for (const state of states)
          upsert.run(quarter, state.device, state.kind, state.status === 'online' ? 1 : 0);
      });
    } catch (error) {
      // No database (closing, or not open yet): this minute is not counted, for any device.
      this.options.logger.debug({ err: describeError(error) }, 'device availability not sampled');
    }
  }

  /** Forgets quarter hours before `before` (epoch ms), with the other statistics. */
  prune(before: number): number {
    return this.db()
      .prepare('DELETE FROM device_minutes WHERE quarter < ?')
      .run(Math.floor(before / QUARTER_MS)).changes;
  }

  measures(): MeasureSource {
    return {
      measures: [
        {
          name: 'device.minutes_online',
          summary: 'minutes each device was online',
          unit: 'count',
          dimensions: ['device', 'kind'],
        },
        {
          name: 'device.minutes_observed',
          summary: 'minutes Carrel was running and watching each device (availability = online ÷ observed)',
          unit: 'count',
          dimensions: ['device', 'kind'],
        },
      ],
      rows: (fromQuarter, toQuarter, _wanted, keep, slot) => {
        // Per quarter; per hour, in its first quarter, when the report tells only hours apart (a
        // zone whole hours off UTC: four times fewer rows). Summed in SQL over the devices (or
        // kinds) the report does not keep apart.
        const device = keep.has('device') ? 'device' : "''";
        const kind = keep.has('kind') ? 'kind' : "''";
        const at = slot === HOUR_QUARTERS ? `quarter / ${HOUR_QUARTERS} * ${HOUR_QUARTERS}` : 'quarter';
        let found: Array<{ quarter: number; device: string; kind: string; observed: number; online: number }>;
        try {
          found = this.db()
            .prepare(
              `SELECT ${at} AS quarter, ${device} AS device, ${kind} AS kind, SUM(observed) AS observed,
                 SUM(online) AS online
               FROM device_minutes WHERE quarter >= ? AND quarter < ? GROUP BY 1, 2, 3`,
            )
            .all(fromQuarter, toQuarter) as typeof found;
        } catch {
          return [];
        }
        return found.flatMap((row): MeasureRow[] => {
          const dims = { device: row.device, kind: row.kind };
          return [
            { quarter: row.quarter, measure: 'device.minutes_online', dims, value: row.online },
            { quarter: row.quarter, measure: 'device.minutes_observed', dims, value: row.observed },
          ];
        });
      },
    };
  }

  private db(): Database {
    const db = this.options.database();
    if (this.migrated !== db) {
      migrate(db, 'device-availability', AVAILABILITY_STEPS);
      this.migrated = db;
    }
    return db;
  }
}
