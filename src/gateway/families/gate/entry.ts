import type { Clock } from '../../../core/clock.js';
import { CarrelError, describeError } from '../../../core/errors.js';
import { isoTime } from '../../../core/iso-time.js';
import {
  FeigGate,
  type GateAlarm,
  type GateCounts,
  type GateTagRead,
  ReaderGate,
} from '../../../devices/gate/index.js';
import { FeigReader, ThreeMReader } from '../../../devices/rfid/index.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { DetailedDriver } from '../../devices/detailed-driver.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import { Retention } from '../../retention.js';
import { ilsLinks } from '../ils/index.js';
import { enrichmentDeadlineMs, GateAlarmFlow } from './alarm-flow.js';
import { GateAlarmHistory, type GateAlarmRecord } from './alarm-history.js';
import { GateAlarms } from './alarms.js';
import { type GateConfig, readsEas } from './config.js';
import type { GateEventsMap } from './events.js';
import { ItemLookup, itemFactsOf } from './item-lookup.js';
import type { GatePort, GateStatusView } from './port.js';
import { type HeldListener, holdNotificationListener } from './shared-listeners.js';
import { GateVisitors, type VisitorSnapshot } from './visitors.js';

/**
 * A security gate at run time: its driver (a FEIG gate reader that notifies
 * Carrel, or an RFID reader polled at a doorway) kept connected by a
 * supervisor, each tag it reads put through the alarm decision (alarm-flow.ts),
 * its people counter counted (visitors.ts), and the alarms, their items as the
 * ILS knows them, the counts and the alarm-loop state published as `gate.*`
 * events. The driver's raw reads never leave the entry: a patron card passing
 * the gate is nobody's business.
 */
export class GateEntry extends SupervisedEntry<GatePort, GateConfig> {
  readonly port: GatePort;
  private driver: FeigGate | ReaderGate | undefined;
  private counted: DetailedDriver | undefined;
  private listener: HeldListener | undefined;
  private history: GateAlarmHistory | undefined;
  private historyRetention: Retention | undefined;
  private readonly flow: GateAlarmFlow;
  private readonly visitors: GateVisitors | undefined;
  private alarmState: { on: boolean; loops: number } | null = null;
  private counts: GateStatusView['counts'] = null;

  constructor(config: GateConfig, context: FamilyContext) {
    super(config, context);
    const { clock, logger } = context;
    this.port = {
      name: config.name,
      status: () => this.status(),
      setAlarm: (on) => this.feig('switch its alarm').setAlarm(on),
      counters: async () => timed(await this.feig('count people').readCounters(), clock),
      resetCounters: async () => {
        const gate = this.feig('count people');
        // Read first: the people counted since the last reading are kept, not lost with the reset.
        await gate.readCounters();
        return timed(await gate.resetCounters(), clock);
      },
      alarmHistory: (query) => this.openHistory().list(query),
      alarmCount: (from, to) => this.openHistory().count(from, to),
      acknowledgeAlarm: (id, who) => this.acknowledgeAlarm(id, who),
      alarmCounts: (from, to) => this.openHistory().countsByQuarter(from, to),
      visitorCounts: (from, to, by) => this.visitors?.counts?.report(from, to, by) ?? [],
    };
    const items = new ItemLookup(async (item) => {
      const ils = context.devices.all(ilsLinks)[0];
      if (!ils) throw new CarrelError('unavailable', 'no ILS is configured');
      const client = ils.port.client;
      return itemFactsOf(item, (await client.itemInformation(item)).message, client.config.timeZone);
    }, clock);
    this.flow = new GateAlarmFlow({
      gate: config.id,
      alarms: new GateAlarms(
        config.alarm,
        clock,
        config.directionByAntenna,
        config.driver === 'feig-notification' && config.reports === 'all',
      ),
      items,
      ilsTimeoutMs: config.alarm.ilsTimeoutMs,
      hasIls: () => context.devices.all(ilsLinks).length > 0,
      // Read only when there is an ILS to ask (hasIls).
      enrichmentDeadlineMs: () => this.enrichmentDeadlineMs() ?? 0,
      clock,
      logger: logger.child({ module: 'gate-alarms', device: config.id }),
      history: () => this.history,
      alarm: (event) => this.emit('gate.alarm', event),
      // The last alarm is in the gate's health record.
      counted: () => this.counted?.keptChanged(),
      enriched: (event) => this.emit('gate.alarm_enriched', event),
      notEnriched: (event) => this.emit('gate.alarm_not_enriched', event),
    });
    if (config.driver === 'feig-notification' && config.transport) {
      this.visitors = new GateVisitors({
        gate: config.id,
        config: config.visitors,
        clock,
        logger,
        read: () => this.port.counters(),
        reset: () => this.port.resetCounters(),
        changed: (snapshot, reset) => this.onVisitors(snapshot, reset),
      });
    }
  }

  /** Acknowledges an alarm in the history; the first acknowledgement is told to every desk PC. */
  private acknowledgeAlarm(id: string, who: string): GateAlarmRecord | undefined {
    const history = this.openHistory();
    const waiting = history.get(id)?.acknowledged === null;
    const now = this.context.clock.now();
    const record = history.acknowledge(id, who, now);
    if (waiting && record?.acknowledged)
      this.emit('gate.alarm_acknowledged', {
        alarm: id,
        acknowledged: record.acknowledged,
        time: isoTime(now),
      });
    return record;
  }

  /** How long an alarm's title is looked for: from the timeouts of the desk's ILS link; null without one. */
  private enrichmentDeadlineMs(): number | null {
    const ils = this.context.devices.all(ilsLinks)[0];
    return ils ? enrichmentDeadlineMs(ils.port.client.config) : null;
  }

  /** Where Carrel listens for this gate's notifications, once it does (an in-process simulator dials it). */
  listening(): { host: string; port: number } | undefined {
    return this.listener?.listener.bound;
  }

  async start(): Promise<void> {
    this.flow.start();
    this.openStores();
    const driver = this.createDriver();
    this.driver = driver;
    driver.on('event', (type: string, data: unknown) => this.onDriverEvent(type, data));
    // The visitor counts and the last alarm are in the gate's health record, and move it.
    const counted = new DetailedDriver(driver, () => {
      const visitors = this.visitors?.snapshot();
      const alarm = this.flow.recent[0];
      return {
        ...(visitors ? { visitors } : {}),
        // When and why, not which item: the health record is IT's and is kept retained on MQTT,
        // where a book that alarmed at a given minute would say what someone carried out. Staff
        // read the item with the alarm (GET /api/v1/gates, the alarm history).
        lastAlarm: alarm
          ? {
              id: alarm.id,
              time: alarm.time,
              reason: alarm.reason,
              direction: alarm.direction,
            }
          : null,
      };
    });
    this.counted = counted;
    const { bus, clock, logger } = this.context;
    this.supervisor = new DeviceSupervisor({
      driver: counted,
      eventFamily: undefined,
      clock,
      bus,
      logger,
      onReady: () => this.visitors?.pollSoon(),
    });
    if (this.listener) {
      // Listening before the gate is first connected, so a gate (or its simulator) can dial in at
      // once. A listener that cannot listen (its port taken by another program, its host not this
      // machine's) fails this gate alone: connecting tries it again, and its health says why.
      await this.listener.listener
        .start()
        .catch((error: unknown) =>
          logger.error(
            { err: describeError(error), device: this.id },
            'gate cannot listen for its notifications; tried again as it connects',
          ),
        );
    }
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.flow.stop();
    await this.supervisor?.stop();
    await this.listener?.release();
    this.listener = undefined;
    this.visitors?.stop();
    this.historyRetention?.stop();
    this.historyRetention = undefined;
    this.history = undefined;
  }

  /** The alarm history and the visitor counts; a gate without them still alarms. */
  private openStores(): void {
    const { clock, logger } = this.context;
    try {
      const db = this.context.database();
      const history = new GateAlarmHistory(db, this.id);
      const cut = history.lookupsCut();
      if (cut > 0)
        logger.info(
          { device: this.id, alarms: cut },
          'gate alarms whose title lookup the last stop of Carrel cut: kept as such',
        );
      this.history = history;
      this.historyRetention = new Retention({
        name: `gate-alarms-prune:${this.id}`,
        forget: (before) => history.forget(before),
        retentionDays: this.config.alarm.historyDays,
        clock,
        logger,
      });
      this.historyRetention.start();
      this.visitors?.start(db);
    } catch (error) {
      logger.error(
        { err: describeError(error), device: this.id },
        'gate alarm history and visitor counts not kept: no database',
      );
    }
  }

  private openHistory(): GateAlarmHistory {
    if (!this.history) throw new CarrelError('unavailable', 'the alarm history is not available');
    return this.history;
  }

  private createDriver(): FeigGate | ReaderGate {
    const { config } = this;
    const { clock, logger, simulators } = this.context;
    if (config.driver === 'reader') {
      const transport = createTransport(config.transport, simulators, { clock });
      const reader =
        config.protocol === 'feig'
          ? new FeigReader({ transport, clock })
          : new ThreeMReader({ transport, clock });
      return new ReaderGate({
        id: config.id,
        reader,
        clock,
        logger,
        inventoryIntervalMs: config.inventoryIntervalMs,
        checkEas: config.checkEas ?? readsEas(config.alarm.method),
      });
    }
    this.listener = holdNotificationListener(this.context, config.listen);
    return new FeigGate({
      id: config.id,
      address: config.address,
      notifications: this.listener.listener,
      ...(config.transport
        ? { commandTransport: createTransport(config.transport, simulators, { clock }) }
        : {}),
      clock,
      logger,
      keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
      ack: config.ack,
    });
  }

  private onDriverEvent(type: string, data: unknown): void {
    try {
      if (type === 'tag_read') this.onTagRead(data as GateTagRead);
      else if (type === 'counter') this.onCounts(data as GateCounts);
      else if (type === 'alarm_state') this.onAlarmState(data as GateAlarm);
    } catch (error) {
      this.context.logger.error({ err: describeError(error), device: this.id }, 'gate event not handled');
    }
  }

  private onTagRead(read: GateTagRead): void {
    this.flow.read(read);
  }

  private onCounts(counts: GateCounts): void {
    this.counts = { in: counts.in, out: counts.out, time: counts.time };
    this.visitors?.take(counts, counts.reset);
  }

  private onVisitors(snapshot: VisitorSnapshot, reset: boolean): void {
    const counter = snapshot.counter;
    if (counter)
      this.emit('gate.count', {
        in: counter.in,
        out: counter.out,
        reset,
        time: counter.time,
        today: snapshot.today,
        occupancy: snapshot.occupancy,
      });
    this.counted?.keptChanged();
  }

  private onAlarmState(state: GateAlarm): void {
    this.alarmState = { on: state.on, loops: state.loops };
    this.emit('gate.alarm_state', { on: state.on, loops: state.loops, time: state.time });
  }

  private emit<T extends keyof GateEventsMap>(type: T, data: GateEventsMap[T]): void {
    emitEvent<GateEventsMap, T>(this.context.bus, this.context.clock, this.id, type, data);
  }

  private status(): GateStatusView {
    return {
      alarm: this.alarmState,
      counts: this.counts,
      visitors: this.visitors?.snapshot() ?? null,
      recentAlarms: [...this.flow.recent],
      alarms: this.flow.count,
      titleLookupMs: this.enrichmentDeadlineMs(),
    };
  }

  /** The FEIG gate driver, for what only its command port can do. */
  private feig(what: string): FeigGate {
    const driver = this.driver;
    if (!driver || !this.supervisor?.isConnected)
      throw new CarrelError('unavailable', `gate "${this.id}" is not connected`);
    if (!(driver instanceof FeigGate))
      throw new CarrelError(
        'gate_unsupported',
        `gate "${this.id}" is a reader at a doorway: it cannot ${what}`,
      );
    return driver;
  }
}

/** A people counter's reading with the time it was read, on the desk's clock (shown to staff). */
function timed(counts: { in: number; out: number }, clock: Clock): { in: number; out: number; time: string } {
  return { in: counts.in, out: counts.out, time: isoTime(clock.now()) };
}
