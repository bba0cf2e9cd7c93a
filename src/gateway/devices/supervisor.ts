import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { FailureStreak } from '../../core/failure-streak.js';
import { isoTime } from '../../core/iso-time.js';
import { jsonEqual } from '../../core/json-equal.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceCondition, DeviceDriver } from '../../devices/device.js';
import type { DeviceState, HealthStatus } from '../../devices/device-state.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from '../backoff.js';
import type { EventBus } from '../event-bus.js';

/** How long a stop waits for a connect it cut to end (DeviceSupervisor.stop). */
const CUT_CONNECT_WAIT_MS = 2_000;

/** The health record of a device whose supervisor has not started yet. */
export function notStartedState(device: string, kind: string, now: number): DeviceState {
  return {
    device,
    kind,
    status: 'offline',
    since: new Date(now).toISOString(),
    reason: 'not started',
    lastError: null,
    reconnects: 0,
    detail: {},
  };
}

/** What a health record's update says: its status, and whichever other fields changed. */
type Change = Partial<DeviceState> & { status: HealthStatus };

export interface SupervisorOptions {
  driver: DeviceDriver;
  /**
   * Prefix for the driver's events on the bus: `printer` → `printer.paper_out`. Undefined:
   * the driver's events are not put on the bus as they are (its family entry makes its own).
   */
  eventFamily: string | undefined;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Called after each successful connect and each condition change (the print queue drains here). */
  onReady?: () => void;
}

/**
 * Keeps one device connected: connects, watches for the link to drop, and
 * reconnects with capped exponential backoff and jitter. Owns the device's
 * health record and publishes every change on the bus.
 */
export class DeviceSupervisor {
  private record: DeviceState;
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  private running = false;
  private connected = false;
  private everConnected = false;
  private connecting: Promise<void> | undefined;
  private readonly driver: DeviceDriver;
  private readonly log: Logger;
  private readonly failures: FailureStreak;

  constructor(private readonly options: SupervisorOptions) {
    this.driver = options.driver;
    this.log = options.logger.child({ module: 'supervisor', device: options.driver.id });
    this.failures = new FailureStreak(options.clock);
    this.record = {
      device: this.driver.id,
      kind: this.driver.kind,
      status: 'offline',
      since: new Date(options.clock.now()).toISOString(),
      reason: 'not started',
      lastError: null,
      reconnects: 0,
      detail: {},
    };
    this.driver.on('disconnected', (error) => this.onDisconnected(error));
    this.driver.on('condition', (condition) => this.onCondition(condition));
    this.driver.on('event', (type, data) => {
      if (this.options.eventFamily === undefined) return;
      this.options.bus.emit('device.event', {
        device: this.driver.id,
        type: `${this.options.eventFamily}.${type}`,
        time: isoTime(this.options.clock.now()),
        data,
      });
    });
  }

  get id(): string {
    return this.driver.id;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * The health record. Its detail is the driver's as of now while connected (counters
   * such as the ILS round trip move without a change of status being published).
   */
  state(): DeviceState {
    if (!this.connected) return this.record;
    return { ...this.record, detail: this.driver.condition().detail };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.update({ status: 'offline', reason: 'connecting' });
    this.connectNow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.connecting) {
      // A connect under way is cut, not waited out: a device that does not answer holds one for
      // its connect timeout and then each check's request timeout (an ILS's login and status,
      // 10 s each by default), and systemd kills a stop that takes 20 s (TimeoutStopSec).
      await this.driver
        .disconnect()
        .catch((error) => this.log.debug({ err: error }, 'disconnect while connecting failed'));
      // A driver whose attempt goes on regardless is not waited for beyond this: should it still
      // connect, onConnected() disconnects it.
      const enough = new AbortController();
      await Promise.race([
        this.connecting,
        this.options.clock.sleep(CUT_CONNECT_WAIT_MS, enough.signal).catch(() => {}),
      ]);
      enough.abort();
    }
    if (this.connected) {
      this.connected = false;
      await this.driver.disconnect().catch((error) => this.log.warn({ err: error }, 'disconnect failed'));
    }
    this.update({ status: 'offline', reason: 'stopped' });
  }

  /**
   * Drops the link, if there is one, and connects again now without waiting out the
   * backoff (staff asked, from the dashboard). Resolves once that attempt has ended;
   * a failed attempt is retried as any other.
   */
  async reconnect(): Promise<void> {
    if (!this.running) return;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    await this.connecting?.catch(() => {});
    if (this.connected) {
      this.connected = false;
      this.log.info('reconnecting, as asked');
      await this.driver.disconnect().catch((error) => this.log.warn({ err: error }, 'disconnect failed'));
      this.update({ status: 'offline', reason: 'reconnecting, as asked' });
    }
    this.attempt = 0;
    this.connectNow();
    await this.connecting?.catch(() => {});
  }

  /**
   * The device is known to be back (a hot-plug watch saw it appear): try to connect now
   * instead of waiting out the backoff. Nothing happens while connected or connecting.
   */
  retryNow(): void {
    if (!this.running || this.connected || this.connecting) return;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.attempt = 0;
    this.connectNow();
  }

  private connectNow(): void {
    this.retryTimer = undefined;
    if (!this.running || this.connecting) return;
    this.connecting = this.driver
      .connect()
      .then(
        () => this.onConnected(),
        (error: unknown) => this.onConnectFailed(error),
      )
      .finally(() => {
        this.connecting = undefined;
      });
  }

  private onConnected(): void {
    if (!this.running) {
      void this.driver.disconnect().catch(() => {});
      return;
    }
    this.connected = true;
    this.attempt = 0;
    const reconnects = this.everConnected ? this.record.reconnects + 1 : this.record.reconnects;
    this.everConnected = true;
    const streak = this.failures.ended();
    if (streak && streak.attempts > 1)
      this.log.info(
        { reconnects, failedAttempts: streak.attempts, failingSince: isoTime(streak.since) },
        'device connected',
      );
    else this.log.info({ reconnects }, 'device connected');
    this.applyCondition(this.driver.condition(), reconnects);
    this.options.onReady?.();
  }

  private onConnectFailed(error: unknown): void {
    // Cut by stop(): not a failure of the device's, and nothing to retry.
    if (!this.running) return;
    const described = describeError(error);
    // Said when it starts, when it changes and every ten minutes; each retry between is debug.
    const note = this.failures.failed(described.code, described.message);
    if (!note.say)
      this.log.debug({ code: described.code, attempt: this.attempt }, `connect failed: ${described.message}`);
    else if (note.reminder)
      this.log.warn(
        { code: described.code, attempts: note.attempts, failingSince: isoTime(note.since) },
        `still cannot connect: ${described.message}`,
      );
    else
      this.log.warn({ code: described.code, attempt: this.attempt }, `connect failed: ${described.message}`);
    // The same error again keeps its first time, as a condition's does: no new record each retry.
    const known = this.record.lastError;
    const change: Change = { status: 'offline', reason: described.message };
    if (known?.code !== described.code || known.message !== described.message)
      change.lastError = this.stamp(described);
    this.update(change);
    this.scheduleRetry();
  }

  private onDisconnected(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    const described = describeError(error);
    this.log.warn({ code: described.code }, `device disconnected: ${described.message}`);
    this.update({
      status: 'offline',
      reason: described.message,
      lastError: this.stamp(described),
      // What the driver says now (no connections, no tags), not what it said while connected.
      detail: this.driver.condition().detail,
    });
    this.attempt = 0;
    this.scheduleRetry();
  }

  private onCondition(condition: DeviceCondition): void {
    if (!this.connected) return;
    this.applyCondition(condition, undefined);
    this.options.onReady?.();
  }

  private applyCondition(condition: DeviceCondition, reconnects: number | undefined): void {
    const error = condition.lastError;
    const known = this.record.lastError;
    // A driver reports a condition on every count it keeps (a scanner's reads): no spreads here.
    const change: Change = { status: condition.status, reason: condition.reason, detail: condition.detail };
    if (error && (error.code !== known?.code || error.message !== known.message))
      change.lastError = this.stamp(error);
    if (reconnects !== undefined) change.reconnects = reconnects;
    this.update(change);
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.retryTimer = this.options.clock.setTimeout(
      `reconnect:${this.driver.id}`,
      () => this.connectNow(),
      delay,
    );
  }

  private stamp(described: { code: string; message: string }) {
    return { ...described, at: new Date(this.options.clock.now()).toISOString() };
  }

  private update(change: Change): void {
    const previous = this.record;
    const statusChanged = change.status !== previous.status;
    // What `{ ...previous, ...change }` gives (a key given as undefined included), compared
    // before a record is made: most conditions change nothing.
    const reason = 'reason' in change ? (change.reason as DeviceState['reason']) : previous.reason;
    const lastError =
      'lastError' in change ? (change.lastError as DeviceState['lastError']) : previous.lastError;
    const reconnects = 'reconnects' in change ? (change.reconnects as number) : previous.reconnects;
    const detail = 'detail' in change ? (change.detail as DeviceState['detail']) : previous.detail;
    if (
      !statusChanged &&
      reason === previous.reason &&
      reconnects === previous.reconnects &&
      lastError === previous.lastError &&
      jsonEqual(detail, previous.detail)
    ) {
      return;
    }
    // The record's keys in the order it was made with (the constructor's).
    const next: DeviceState = {
      device: previous.device,
      kind: previous.kind,
      status: change.status,
      since: statusChanged ? new Date(this.options.clock.now()).toISOString() : previous.since,
      reason,
      lastError,
      reconnects,
      detail,
    };
    this.record = next;
    this.options.bus.emit('device.state', next);
  }
}
