/**
 * The desk's day in a few numbers, for central IT watching many desks (the fleet view):
 * gate alarms today, visitors today, and the offline journal's backlog — and, so that desks can be
 * compared in one place, the headline statistics of the last RECENT_DAYS local days (transactions,
 * refusals, visitors, alarms, pages printed, cards issued). Counts only — never a patron, an item
 * or a transaction — so they may be retained on MQTT (`<base>/totals`) and handed to anyone who
 * may read the desk's state.
 *
 * Worked out again when a gate reports (an alarm, the people counted) and when the offline journal
 * writes ('offline.changed'), and put on the bus ('desk.totals') only when a number changed: an idle
 * desk reads nothing for them. The recent days are read from the statistics when a row they count
 * was written — 'statistics.changed' (circulation counts, print releases), a gate's report, a card
 * issued — at most once every 2 s, and at the desk's midnight, whose turn starts the day's counts
 * again: an idle desk reads nothing for them either. What is written is today's, so a read after a
 * write is of today alone; all 31 days are read again at start, at the turn of the day and at least
 * every FULL_READ_MS while rows are written (a row for an earlier day — an offline transaction
 * counted when it happened — shows within that). On a busy desk the 31 days' read took ~2–4 ms of
 * the event loop every 2 s, where today's is a thirty-first of it.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { OfflineService } from './contracts/offline.js';
import type { EventBus } from './event-bus.js';
import { cardPrinters } from './families/card-printer/index.js';
import { gates } from './families/gate/index.js';
import { listenTo, type PortLookup } from './family.js';
import type { Feature } from './feature.js';
import { type MeasureSource, measureRows } from './statistics/measures.js';

export interface DeskTotals {
  /** The desk's local day the counts are for, `YYYY-MM-DD`. */
  day: string;
  /** Alarms at the desk's security gates since local midnight. */
  alarmsToday: number;
  /** People counted in today at the desk's gates with a people counter; null when none counts. */
  visitorsToday: number | null;
  /** Offline journal: transactions still to reach the ILS (pending and replaying). */
  offlinePending: number;
  /** Offline journal: transactions the ILS refused, waiting for staff. */
  offlineConflicts: number;
  /** The last days' headline statistics, for comparing desks; absent while not yet read. */
  recent?: RecentDays;
}

/** The headline statistics compared across desks, each one number per local day. */
export const RECENT_MEASURES = ['transactions', 'refusals', 'visitors', 'alarms', 'pages', 'cards'] as const;
export type RecentMeasure = (typeof RECENT_MEASURES)[number];

export interface RecentDays {
  /** The local days counted, oldest first (today last), `YYYY-MM-DD`. */
  days: string[];
  /** Per measure, one count per day, in the order of `days`. */
  counts: Record<RecentMeasure, number[]>;
}

/** How many local days the comparison carries, today included. */
export const RECENT_DAYS = 31;
/**
 * The recent days are read again at most this often however many rows are written (a busy desk
 * writes its circulation counts every second): a few milliseconds each, never at an idle desk.
 */
const RECENT_MIN_GAP_MS = 2_000;
/**
 * The turn of the day is looked for at the desk's next midnight, and at least this often: a timer
 * runs on the monotonic clock, which stands still while the PC sleeps, so a PC woken after midnight
 * moves on to the new day within this of waking (or at the first report or write before).
 */
const DAY_CHECK_MAX_MS = 5 * 60_000;

/** Which measure (and filter) each headline number sums. */
const RECENT_SOURCES: Record<RecentMeasure, { measure: string; where?: Record<string, string> }> = {
  transactions: { measure: 'circulation.transactions', where: { outcome: 'ok' } },
  refusals: { measure: 'circulation.transactions', where: { outcome: 'refused' } },
  visitors: { measure: 'gate.visitors_in' },
  alarms: { measure: 'gate.alarms' },
  pages: { measure: 'print.pages' },
  cards: { measure: 'cards.issued' },
};

/**
 * While rows are written, all the recent days are read again at least this often (else today's
 * alone): a row written for an earlier day shows within it.
 */
const FULL_READ_MS = 10 * 60_000;

/** The last `count` (RECENT_DAYS) local days of the headline measures the sources keep. */
export function recentDays(sources: readonly MeasureSource[], now: number, count = RECENT_DAYS): RecentDays {
  const today = localDay(now);
  const first = new Date(today.start);
  first.setDate(first.getDate() - (count - 1));
  const days: string[] = [];
  for (const day = new Date(first); days.length < count; day.setDate(day.getDate() + 1))
    days.push(localDay(day.getTime()).day);
  const end = new Date(today.start);
  end.setDate(end.getDate() + 1);
  const known = new Set(sources.flatMap((source) => source.measures.map((m) => m.name)));
  const counts = {} as Record<RecentMeasure, number[]>;
  for (const name of RECENT_MEASURES) {
    const { measure, where } = RECENT_SOURCES[name];
    const perDay = new Map<string, number>();
    if (known.has(measure))
      for (const row of measureRows(sources, {
        from: first.getTime(),
        to: end.getTime(),
        measures: [measure],
        period: 'day',
        ...(where && { where }),
      }).rows)
        perDay.set(row.period ?? '', (perDay.get(row.period ?? '') ?? 0) + row.value);
    counts[name] = days.map((day) => perDay.get(day) ?? 0);
  }
  return { days, counts };
}

export interface DeskTotalsOptions {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  devices: PortLookup;
  offline: Pick<OfflineService, 'counts'>;
  /** The desk's statistics, for the recent days; none when absent. */
  measures?: () => readonly MeasureSource[];
}

/** A gate's report or a device's state coming in a burst is counted once, this long after the first. */
const SETTLE_MS = 200;

/** The local calendar day of `time` and when it began (epoch ms). */
function localDay(time: number): { day: string; start: number } {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    day: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    start: date.getTime(),
  };
}

/** The desk's totals now. A part that cannot be read (no database yet) counts as nothing. */
export function deskTotalsNow(
  options: Pick<DeskTotalsOptions, 'clock' | 'devices' | 'offline'>,
  warn: (what: string, error: unknown) => void = () => {},
): DeskTotals {
  const now = options.clock.now();
  const { day, start } = localDay(now);
  let alarmsToday = 0;
  let visitorsToday: number | null = null;
  for (const gate of options.devices.all(gates)) {
    try {
      alarmsToday += gate.port.alarmCount(start, now + 1);
    } catch (error) {
      warn(`alarms of ${gate.id}`, error);
    }
    const visitors = gate.port.status().visitors;
    if (visitors) visitorsToday = (visitorsToday ?? 0) + visitors.today.in;
  }
  let offlinePending = 0;
  let offlineConflicts = 0;
  try {
    const counts = options.offline.counts();
    offlinePending = counts.pending + counts.replaying;
    offlineConflicts = counts.conflict;
  } catch (error) {
    warn('the offline journal', error);
  }
  return { day, alarmsToday, visitorsToday, offlinePending, offlineConflicts };
}

export class DeskTotalsFeature implements Feature {
  readonly name = 'desk-totals';
  private latest: DeskTotals | undefined;
  private latestJson = '';
  private settle: TimerHandle | undefined;
  private dayTimer: TimerHandle | undefined;
  private recentTimer: TimerHandle | undefined;
  /** When (monotonic) the recent days were last read, and all of them. */
  private recentReadAt = Number.NEGATIVE_INFINITY;
  private fullReadAt = Number.NEGATIVE_INFINITY;
  private recent: RecentDays | undefined;
  private recentDay = '';
  private readonly logger: Logger;
  private readonly warned = new Set<string>();

  constructor(private readonly options: DeskTotalsOptions) {
    this.logger = options.logger.child({ module: 'desk-totals' });
  }

  /** The totals as last worked out; undefined before start. */
  current(): DeskTotals | undefined {
    return this.latest;
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    listenTo(bus, gates, this, () => {
      this.soon();
      this.recentChanged();
    });
    bus.on('device.state', this, (state) => {
      if (state.kind === gates.kind) this.soon();
    });
    bus.on('offline.changed', this, () => this.soon());
    bus.on('statistics.changed', this, () => this.recentChanged());
    listenTo(bus, cardPrinters, this, (event) => {
      if (event.type === 'card.issued' || event.type === 'card.issue_failed') this.recentChanged();
    });
    this.readRecent();
    this.update();
    this.followDay();
  }

  async stop(): Promise<void> {
    this.options.bus.removeAllListenersOf(this);
    this.settle?.cancel();
    this.dayTimer?.cancel();
    this.recentTimer?.cancel();
    this.dayTimer = undefined;
    this.recentTimer = undefined;
    this.settle = undefined;
  }

  /** Looks for the turn of the day at the desk's next midnight (wall time), DAY_CHECK_MAX_MS at most. */
  private followDay(): void {
    const { clock } = this.options;
    const now = clock.now();
    const midnight = new Date(localDay(now).start);
    midnight.setDate(midnight.getDate() + 1);
    // A little past midnight: a timer a few ms early would find the old day and wait for nothing.
    const wait = Math.min(Math.max(midnight.getTime() - now + 50, 50), DAY_CHECK_MAX_MS);
    this.dayTimer = clock.setTimeout(
      'desk-totals-day',
      () => {
        this.dayTimer = undefined;
        // The new day: its counts start again and the recent days move on with it.
        if (this.latest && localDay(clock.now()).day !== this.latest.day) this.update();
        this.followDay();
      },
      wait,
    );
  }

  /** A row the recent days count was written: read them again soon, at most once a RECENT_MIN_GAP_MS. */
  private recentChanged(): void {
    if (this.recentTimer || !this.options.measures) return;
    const { clock } = this.options;
    const wait = Math.max(SETTLE_MS, this.recentReadAt + RECENT_MIN_GAP_MS - clock.monotonic());
    this.recentTimer = clock.setTimeout(
      'desk-totals-recent',
      () => {
        this.recentTimer = undefined;
        this.readRecent();
        this.update();
      },
      wait,
    );
  }

  private soon(): void {
    if (this.settle) return;
    this.settle = this.options.clock.setTimeout(
      'desk-totals-settle',
      () => {
        this.settle = undefined;
        this.update();
      },
      SETTLE_MS,
    );
  }

  private warnOnce(what: string, error: unknown): void {
    // Once per part: every gate report and journal write would otherwise repeat it.
    if (this.warned.has(what)) return;
    this.warned.add(what);
    this.logger.warn({ err: describeError(error) }, `desk totals: ${what} not counted`);
  }

  /**
   * Reads the recent days from the statistics: today's alone when the others were read today and
   * less than FULL_READ_MS ago (what was written since is today's), else all of them.
   */
  private readRecent(): void {
    const sources = this.options.measures?.();
    if (!sources) return;
    try {
      const { clock } = this.options;
      const now = clock.now();
      const monotonic = clock.monotonic();
      const day = localDay(now).day;
      this.recentReadAt = monotonic;
      const kept = this.recent;
      if (kept && this.recentDay === day && monotonic - this.fullReadAt < FULL_READ_MS) {
        const today = recentDays(sources, now, 1);
        const counts = {} as Record<RecentMeasure, number[]>;
        for (const name of RECENT_MEASURES)
          counts[name] = [...kept.counts[name].slice(0, -1), ...today.counts[name]];
        this.recent = { days: kept.days, counts };
        return;
      }
      this.recent = recentDays(sources, now);
      this.recentDay = day;
      this.fullReadAt = monotonic;
    } catch (error) {
      this.warnOnce('the recent days', error);
    }
  }

  private update(): void {
    const totals = deskTotalsNow(this.options, (what, error) => this.warnOnce(what, error));
    // At the turn of the day the recent days move on with today.
    if (this.recent && this.recentDay !== totals.day) this.readRecent();
    if (this.recent) totals.recent = this.recent;
    this.publish(totals);
  }

  private publish(totals: DeskTotals): void {
    const json = JSON.stringify(totals);
    if (json === this.latestJson) return;
    this.latest = totals;
    this.latestJson = json;
    this.options.bus.emit('desk.totals', totals);
  }
}
