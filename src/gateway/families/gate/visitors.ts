/**
 * Visitor counting at a gate: the gate's own people counter read on the clock, and every reading
 * (polled, asked for over the API, or around a reset) turned into the people it counted since the
 * reading before, kept in 15-minute counts. A counter that wrapped past the top of its four bytes
 * counts on; one that went down — someone reset it, or the gate was replaced — counts again from
 * zero; one that jumped by more people than could have passed (a replacement that counted
 * elsewhere) counts from there: never negative, never twice. The last reading is kept with
 * the counts, so a restart of Carrel takes up where it left off; the first reading ever is only
 * the starting point (when its people passed is not known).
 *
 * The counting day starts at the daily reset (local time): today's in/out and the occupancy start
 * from zero, and the gate's counter is read and set to zero. The occupancy — in − out, never below
 * zero — counts from the opening time once the library has opened, from the daily reset before.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { describeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { Retention } from '../../retention.js';
import type { Database } from '../../storage/index.js';
import type { GateVisitorsConfig } from './config.js';
import { QUARTER_MS, VisitorStore } from './visitor-store.js';

/** The gate's counter is read and zeroed this long before the day turns. */
const RESET_LEAD_MS = 1000;
/**
 * The daily reset and the opening are times on the desk's clock, which NTP may step (at boot, on
 * a kiosk without an RTC battery, by hours): the timer looks at the clock at least this often.
 */
const BOUNDARY_CHECK_MS = 60_000;

export interface VisitorSnapshot {
  /** The gate's counter as read when it last moved; null before the first reading. */
  counter: { in: number; out: number; time: string } | null;
  /** Counted since the counting day began. */
  today: { in: number; out: number; since: string };
  /** People inside: in − out since `occupancySince`, never below zero. */
  occupancy: number;
  occupancySince: string;
}

export interface GateVisitorsOptions {
  gate: string;
  config: GateVisitorsConfig;
  clock: Clock;
  logger: Logger;
  /** Reads the gate's counter; the reading comes back through `take()`. */
  read(): Promise<unknown>;
  /** Reads the counter, then sets it to zero; the readings come back through `take()`. */
  reset(): Promise<unknown>;
  /** The counts moved (or the day turned). */
  changed(snapshot: VisitorSnapshot, reset: boolean): void;
}

/** A FEIG gate's people counter is four bytes (IN and OUT of the [0x9F] reply): after 4294967295 comes 0. */
const COUNTER_RANGE = 2 ** 32;
/** More people than this a second through one gate, one way, are not people: the counter is another one. */
const MOST_PEOPLE_PER_SECOND = 10;
/** …however soon after the reading before (a gate read again seconds later). */
const MOST_PEOPLE_AT_ONCE = 1000;

/**
 * The people one side of the counter counted since the reading before, or undefined when the
 * change cannot be people walking through (a gate replaced by one whose counter counted
 * elsewhere, or its counter set): going up by `now − before`, or on past the top and round from 0
 * (it wrapped); gone down beyond that, the counter was reset (or replaced by a new one) and
 * counted `now` since.
 */
function sideCounted(now: number, before: number, most: number): number | undefined {
  const onward = (now - before + COUNTER_RANGE) % COUNTER_RANGE;
  if (onward <= most) return onward;
  if (now < before && now <= most) return now;
  return undefined;
}

/** The most people that could have walked through one way in `sinceMs`. */
function mostPeopleIn(sinceMs: number): number {
  return Math.max(MOST_PEOPLE_AT_ONCE, Math.ceil((Math.max(0, sinceMs) / 1000) * MOST_PEOPLE_PER_SECOND));
}

/**
 * The people a reading counted since the one before, `sinceMs` earlier: a counter that wrapped
 * counts on past its top, one that went down (reset, or a new gate) starts again from zero, and
 * one that jumped by more people than could have passed meanwhile counts nobody (`newCounter`):
 * the reading is where it starts from. The first reading ever is only a starting point.
 */
export function countedSince(
  last: { in: number; out: number } | undefined,
  reading: { in: number; out: number },
  sinceMs: number,
): { in: number; out: number; newCounter: boolean } {
  if (!last) return { in: 0, out: 0, newCounter: false };
  const most = mostPeopleIn(sinceMs);
  const counted = {
    in: sideCounted(reading.in, last.in, most),
    out: sideCounted(reading.out, last.out, most),
  };
  return {
    in: counted.in ?? 0,
    out: counted.out ?? 0,
    newCounter: counted.in === undefined || counted.out === undefined,
  };
}

export class GateVisitors {
  private store: VisitorStore | undefined;
  private retention: Retention | undefined;
  private poller: TimerHandle | undefined;
  private boundary: TimerHandle | undefined;
  private current: VisitorSnapshot | undefined;
  /** When the counter was last asked for (monotonic ms). */
  private lastPollAt = Number.NEGATIVE_INFINITY;
  private failing = false;
  private readonly logger: Logger;

  constructor(private readonly options: GateVisitorsOptions) {
    this.logger = options.logger.child({ module: 'gate-visitors', device: options.gate });
  }

  start(db: Database): void {
    const { clock, config, gate } = this.options;
    const store = new VisitorStore(db, gate);
    this.store = store;
    this.retention = new Retention({
      name: `gate-visitors-prune:${gate}`,
      forget: (before) => store.forget(before),
      retentionDays: config.retentionDays,
      clock,
      logger: this.logger,
    });
    this.retention.start();
    this.current = this.compute();
    if (config.countIntervalSeconds > 0)
      this.poller = clock.setInterval(
        `gate:${gate}:count`,
        () => this.poll(),
        config.countIntervalSeconds * 1000,
      );
    this.scheduleBoundary();
  }

  stop(): void {
    this.poller?.cancel();
    this.boundary?.cancel();
    this.retention?.stop();
    this.poller = undefined;
    this.boundary = undefined;
    this.retention = undefined;
    this.store = undefined;
  }

  /** Counts now and today; undefined until started. */
  snapshot(): VisitorSnapshot | undefined {
    return this.current;
  }

  /** The counts in one gate's store, for reports; undefined until started. */
  get counts(): VisitorStore | undefined {
    return this.store;
  }

  /** Reads the counter now unless it was read within the last few seconds (a gate connecting again). */
  pollSoon(): void {
    if (this.options.clock.monotonic() - this.lastPollAt >= 5000) this.poll();
  }

  /** One reading of the gate's counter (`reset`: the reading right after setting it to zero). */
  take(reading: { in: number; out: number }, reset: boolean): void {
    const store = this.store;
    // Not counting (stopped, or no database): the reading kept from before counts these people later.
    if (!store) return;
    const last = store.lastReading();
    // Nobody passed since: nothing to write (most readings of an idle gate).
    if (!reset && last && last.in === reading.in && last.out === reading.out) return;
    const at = this.options.clock.now();
    // Just set to zero (its count read the moment before): nobody to count, whatever it read before.
    const counted = reset
      ? { in: 0, out: 0, newCounter: false }
      : countedSince(last, reading, last ? at - last.at : 0);
    if (counted.newCounter)
      this.logger.warn(
        { counter: { in: reading.in, out: reading.out }, before: last && { in: last.in, out: last.out } },
        'the gate’s people counter jumped by more people than could have walked through since it was last read (a gate replaced, or its counter set): counting from this reading on',
      );
    store.take({ in: reading.in, out: reading.out, at }, { in: counted.in, out: counted.out });
    this.publish(reset);
  }

  private poll(): void {
    this.lastPollAt = this.options.clock.monotonic();
    this.options.read().then(
      () => {
        if (this.failing) this.logger.info('gate counter read again');
        this.failing = false;
      },
      (error: unknown) => this.readFailed(error, 'gate counter not read'),
    );
  }

  private readFailed(error: unknown, message: string): void {
    const described = describeError(error);
    // Not connected is the usual case while a gate is away: its health record says so already.
    if (described.code === 'unavailable' || described.code === 'gate_not_connected') {
      this.logger.debug({ code: described.code }, message);
      return;
    }
    if (!this.failing) this.logger.warn({ err: described }, message);
    this.failing = true;
  }

  private publish(reset: boolean): void {
    const current = this.compute();
    this.current = current;
    if (!current) return;
    try {
      this.options.changed(current, reset);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'visitor counts not published');
    }
  }

  private compute(): VisitorSnapshot | undefined {
    const store = this.store;
    if (!store) return undefined;
    const now = this.options.clock.now();
    const { dayStart, occupancyStart } = this.periods(now);
    const today = store.sum(dayStart, now + QUARTER_MS);
    const inside = store.sum(occupancyStart, now + QUARTER_MS);
    const last = store.lastReading();
    return {
      counter: last ? { in: last.in, out: last.out, time: new Date(last.at).toISOString() } : null,
      today: { ...today, since: new Date(dayStart).toISOString() },
      occupancy: Math.max(0, inside.in - inside.out),
      occupancySince: new Date(occupancyStart).toISOString(),
    };
  }

  /** The counting day's start, and the occupancy's (the opening, once passed that day). */
  private periods(now: number): { dayStart: number; occupancyStart: number } {
    const { dailyReset, openingTime } = this.options.config;
    const dayStart = latestAtOrBefore(now, dailyReset);
    if (openingTime === undefined) return { dayStart, occupancyStart: dayStart };
    const opening = firstAtOrAfter(dayStart, openingTime);
    return { dayStart, occupancyStart: opening <= now ? opening : dayStart };
  }

  /**
   * A timer for what comes next: the gate's counter read and zeroed a second before the daily
   * reset (so what it counted goes to the day that ends), the day turning, or the opening.
   */
  private scheduleBoundary(): void {
    const { clock, config, gate } = this.options;
    const now = clock.now();
    const dayTurn = firstAtOrAfter(now + 1, config.dailyReset);
    const due: Array<{ at: number; what: 'zero-counter' | 'day-turn' | 'opening' }> = [
      { at: dayTurn - RESET_LEAD_MS, what: 'zero-counter' },
      { at: dayTurn, what: 'day-turn' },
    ];
    if (config.openingTime !== undefined)
      due.push({ at: firstAtOrAfter(now + 1, config.openingTime), what: 'opening' });
    const next = due.filter((event) => event.at > now).sort((a, b) => a.at - b.at)[0]!;
    this.boundary = clock.setTimeout(
      `gate:${gate}:${next.what}`,
      () => {
        this.boundary = undefined;
        // Not yet on the desk's clock (a check on the way, or the clock stepped back): wait on.
        if (clock.now() < next.at) {
          if (this.store) this.scheduleBoundary();
          return;
        }
        if (next.what === 'zero-counter')
          this.options.reset().catch((error: unknown) => this.readFailed(error, 'gate counter not reset'));
        // The day turned, or the library opened: today's counts or the occupancy start from zero.
        else this.publish(false);
        if (this.store) this.scheduleBoundary();
      },
      Math.min(next.at - now, BOUNDARY_CHECK_MS),
    );
  }
}

/** The latest local `HH:MM` at or before `now`. */
function latestAtOrBefore(now: number, time: string): number {
  const at = atLocalTime(now, time);
  if (at <= now) return at;
  const day = new Date(now);
  day.setDate(day.getDate() - 1);
  return atLocalTime(day.getTime(), time);
}

/** The first local `HH:MM` at or after `from`. */
function firstAtOrAfter(from: number, time: string): number {
  const at = atLocalTime(from, time);
  if (at >= from) return at;
  const day = new Date(from);
  day.setDate(day.getDate() + 1);
  return atLocalTime(day.getTime(), time);
}

/** `HH:MM` on the local calendar day of `instant`. */
function atLocalTime(instant: number, time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  const day = new Date(instant);
  day.setHours(hours, minutes, 0, 0);
  return day.getTime();
}
