import { CarrelError, describeError } from '../../../core/errors.js';
import type { DeviceState } from '../../../devices/device-state.js';
import {
  FeigGate,
  type GateAlarm,
  type GateCounts,
  type GateTagRead,
  NotificationListener,
  ReaderGate,
} from '../../../devices/gate/index.js';
import { FeigReader, ThreeMReader } from '../../../devices/rfid/index.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { TcpListener } from '../../../devices/transport/tcp-listener.js';
import { DeviceSupervisor, notStartedState } from '../../devices/supervisor.js';
import { type DeviceEntry, emitEvent, type FamilyContext } from '../../family.js';
import { GateAlarms } from './alarms.js';
import type { GateConfig } from './config.js';
import type { GateAlarmEvent, GateEventsMap } from './events.js';
import type { GatePort, GateStatusView } from './port.js';

const RECENT_ALARMS = 50;

/**
 * A security gate at run time: its driver (a FEIG gate reader that notifies
 * Carrel, or an RFID reader polled at a doorway) kept connected by a
 * supervisor, each tag it reads put through the alarm decision, and the alarms,
 * counts and alarm-loop state published as `gate.*` events. The driver's raw
 * reads never leave the entry: a patron card passing the gate is nobody's
 * business.
 */
export class GateEntry implements DeviceEntry<GatePort> {
  readonly port: GatePort = {
    status: () => this.status(),
    setAlarm: (on) => this.feig('switch its alarm').setAlarm(on),
    counters: async () => timed(await this.feig('count people').readCounters()),
    resetCounters: async () => timed(await this.feig('count people').resetCounters()),
  };
  private supervisor: DeviceSupervisor | undefined;
  private driver: FeigGate | ReaderGate | undefined;
  private listener: NotificationListener | undefined;
  private bound: { host: string; port: number } | undefined;
  private readonly alarms: GateAlarms;
  private readonly recent: GateAlarmEvent[] = [];
  private alarmCount = 0;
  private alarmState: { on: boolean; loops: number } | null = null;
  private counts: GateStatusView['counts'] = null;

  constructor(
    private readonly config: GateConfig,
    private readonly context: FamilyContext,
  ) {
    this.alarms = new GateAlarms(config.alarm, context.clock);
  }

  get id(): string {
    return this.config.id;
  }

  get kind(): string {
    return this.config.kind;
  }

  state(): DeviceState {
    return this.supervisor?.state() ?? notStartedState(this.id, this.kind, this.context.clock.now());
  }

  /** Where Carrel listens for this gate's notifications, once it does (an in-process simulator dials it). */
  listening(): { host: string; port: number } | undefined {
    return this.bound;
  }

  async start(): Promise<void> {
    const driver = this.createDriver();
    this.driver = driver;
    driver.on('event', (type: string, data: unknown) => this.onDriverEvent(type, data));
    const { bus, clock, logger } = this.context;
    this.supervisor = new DeviceSupervisor({ driver, eventFamily: undefined, clock, bus, logger });
    if (this.listener) {
      // Listening before the gate is first connected, so a gate (or its simulator) can dial in at once.
      this.bound = await this.listener.start();
    }
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
    await this.listener?.stop();
    this.bound = undefined;
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
        checkEas: config.checkEas,
      });
    }
    this.listener = new NotificationListener({
      listener: new TcpListener({ host: config.listen.host, port: config.listen.port }),
      clock,
      logger,
    });
    return new FeigGate({
      id: config.id,
      address: config.address,
      notifications: this.listener,
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
    const alarm = this.alarms.consider(read);
    if (!alarm) return;
    this.alarmCount++;
    this.recent.unshift(alarm);
    if (this.recent.length > RECENT_ALARMS) this.recent.pop();
    this.emit('gate.alarm', alarm);
  }

  private onCounts(counts: GateCounts): void {
    this.counts = { in: counts.in, out: counts.out, time: counts.time };
    this.emit('gate.count', { in: counts.in, out: counts.out, reset: counts.reset, time: counts.time });
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
      recentAlarms: [...this.recent],
      alarms: this.alarmCount,
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

function timed(counts: { in: number; out: number }): { in: number; out: number; time: string } {
  return { in: counts.in, out: counts.out, time: new Date().toISOString() };
}
