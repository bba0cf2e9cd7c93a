/**
 * Device availability for the statistics: once a minute every configured
 * device is counted as observed, and as online when its health says so, per
 * UTC hour — one small row per device and hour. The report's availability of
 * a device is its online minutes over its observed minutes (the minutes Carrel
 * was running: a desk closed overnight with Carrel stopped does not count
 * against its devices).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import { Retention } from '../retention.js';
import { type Database, migrate } from '../storage/index.js';
import type { MeasureRow, MeasureSource } from './measures.js';

const HOUR_MS = 3_600_000;
/** How often the devices are looked at. */
export const AVAILABILITY_SAMPLE_MS = 60_000;

const STEPS = [
  `CREATE TABLE device_minutes (
    hour INTEGER NOT NULL,
    device TEXT NOT NULL,
    kind TEXT NOT NULL,
    observed INTEGER NOT NULL,
    online INTEGER NOT NULL,
    PRIMARY KEY (hour, device)
  ) WITHOUT ROWID`,
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
        `INSERT INTO device_minutes (hour, device, kind, observed, online) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (hour, device) DO UPDATE SET observed = observed + 1, online = online + excluded.online`,
      );
      const hour = Math.floor(at / HOUR_MS);
      const states = this.options.devices();
      db.transaction(() => {
        for (const state of states)
          upsert.run(hour, state.device, state.kind, state.status === 'online' ? 1 : 0);
      });
    } catch (error) {
      // No database (closing, or not open yet): this minute is not counted, for any device.
      this.options.logger.debug({ err: describeError(error) }, 'device availability not sampled');
    }
  }

  /** Forgets hours before `before` (epoch ms), with the other statistics. */
  prune(before: number): number {
    return this.db()
      .prepare('DELETE FROM device_minutes WHERE hour < ?')
      .run(Math.floor(before / HOUR_MS)).changes;
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
      rows: (fromQuarter, toQuarter, _wanted, keep) => {
        // Minutes are kept per UTC hour: the hours the quarters touch, each in its first quarter (or
        // the range's first, when the range begins within the hour).
        // Summed in SQL over the devices (or kinds) the report does not keep apart.
        const device = keep.has('device') ? 'device' : "''";
        const kind = keep.has('kind') ? 'kind' : "''";
        let found: Array<{ hour: number; device: string; kind: string; observed: number; online: number }>;
        try {
          found = this.db()
            .prepare(
              `SELECT hour, ${device} AS device, ${kind} AS kind, SUM(observed) AS observed, SUM(online) AS online
               FROM device_minutes WHERE hour >= ? AND hour < ? GROUP BY 1, 2, 3`,
            )
            .all(Math.floor(fromQuarter / 4), Math.ceil(toQuarter / 4)) as typeof found;
        } catch {
          return [];
        }
        return found.flatMap((row): MeasureRow[] => {
          const dims = { device: row.device, kind: row.kind };
          const quarter = Math.max(row.hour * 4, fromQuarter);
          return [
            { quarter, measure: 'device.minutes_online', dims, value: row.online },
            { quarter, measure: 'device.minutes_observed', dims, value: row.observed },
          ];
        });
      },
    };
  }

  private db(): Database {
    const db = this.options.database();
    if (this.migrated !== db) {
      migrate(db, 'device-availability', STEPS);
      this.migrated = db;
    }
    return db;
  }
}
