/**
 * The desk's day in a few numbers, for central IT watching many desks (the fleet view):
 * gate alarms today, visitors today, and the offline journal's backlog. Counts only — never a
 * patron, an item or a transaction — so they may be retained on MQTT (`<base>/totals`) and
 * handed to anyone who may read the desk's state.
 *
 * Worked out again when a gate reports (an alarm, the people counted), on a timer for the
 * offline journal and the turn of the day, and put on the bus ('desk.totals') only when a
 * number changed.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { OfflineService } from './contracts/offline.js';
import type { EventBus } from './event-bus.js';
import { gates } from './families/gate/index.js';
import { listenTo, type PortLookup } from './family.js';
import type { Feature } from './feature.js';

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
}

export interface DeskTotalsOptions {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  devices: PortLookup;
  offline: Pick<OfflineService, 'counts'>;
  /** How often the totals are worked out without a gate saying anything (default 5 s). */
  refreshMs?: number;
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
  private refresh: TimerHandle | undefined;
  private settle: TimerHandle | undefined;
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
    const { bus, clock } = this.options;
    listenTo(bus, gates, this, () => this.soon());
    bus.on('device.state', this, (state) => {
      if (state.kind === gates.kind) this.soon();
    });
    this.update();
    this.refresh = clock.setInterval(
      'desk-totals-refresh',
      () => this.update(),
      this.options.refreshMs ?? 5000,
    );
  }

  async stop(): Promise<void> {
    this.options.bus.removeAllListenersOf(this);
    this.refresh?.cancel();
    this.settle?.cancel();
    this.refresh = undefined;
    this.settle = undefined;
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

  private update(): void {
    const totals = deskTotalsNow(this.options, (what, error) => {
      // Once per part: the refresh timer would otherwise repeat it every few seconds.
      if (this.warned.has(what)) return;
      this.warned.add(what);
      this.logger.warn({ err: describeError(error) }, `desk totals: ${what} not counted`);
    });
    const json = JSON.stringify(totals);
    if (json === this.latestJson) return;
    this.latest = totals;
    this.latestJson = json;
    this.options.bus.emit('desk.totals', totals);
  }
}
