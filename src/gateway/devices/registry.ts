import { type Clock, systemClock, type TimerHandle, withDeadline } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import { FailureStreak } from '../../core/failure-streak.js';
import { isoTime } from '../../core/iso-time.js';
import type { Logger } from '../../core/logger.js';
import { SingleFlight } from '../../core/single-flight.js';
import type { DeviceState } from '../../devices/device-state.js';
import { type BackoffPolicy, backoffDelay } from '../backoff.js';
import type { AnyDeviceFamily, DeviceEntry, PortLookup, PortOf } from '../family.js';
import type { Feature } from '../feature.js';

/**
 * Every configured device, started in configuration order and stopped in
 * reverse. A device that cannot start fails alone: what it had started is
 * stopped again, it is offline saying why ("could not start: …", logged with its
 * id), the rest of the desk starts, and its start is tried again on the desk clock
 * with a backoff (START_RETRY: 5 s doubling to 5 min, with jitter) until it starts
 * or the registry stops — a port another program holds at boot, a USB-serial
 * adapter that appears late. Reconnecting it tries again at once.
 * It is also the one place that hands out typed ports:
 * `devices.port(receiptPrinters, 'receipt-1')` is a ReceiptPrinterPort, or a
 * problem with a stable code (`device_not_found`, or the family's own
 * wrong-kind code such as `not_a_printer`).
 */
/** How a device that could not start is tried again: soon after boot, then every few minutes. */
export const START_RETRY: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 5_000,
  maxMs: 5 * 60_000,
  factor: 2,
  jitter: 0.2,
});

/**
 * How long one device's stop may take (4 s): a device whose stop hangs — a driver waiting on a link
 * that neither answers nor closes — is named in the log and not waited for beyond it, so the
 * devices stop within the gateway's own deadline per feature (10 s), and the daemon within systemd's
 * TimeoutStopSec (20 s). The devices stop together: none uses another as it stops, and one by one
 * their bounds would add up.
 */
export const DEVICE_STOP_TIMEOUT_MS = 4_000;

/** A device that could not start: what went wrong and when, and its next try. */
interface NotStarted {
  code: string;
  message: string;
  /** Since when it has not started (the streak's first failure). */
  at: string;
  /** When this reason was first seen (the last error's time). */
  reasonAt: string;
  /** Retries so far (the backoff's attempt number). */
  retries: number;
  retry: TimerHandle | undefined;
  /** Said once per streak, then a reminder every ten minutes; the tries between are debug. */
  streak: FailureStreak;
}

export interface DeviceRegistryOptions {
  logger?: Logger;
  clock?: Clock;
  retry?: BackoffPolicy;
  random?: () => number;
  /**
   * What a device's start needs that may have failed with it, made good before each try again
   * (the in-process simulators a device's transport names).
   */
  beforeRetry?: () => Promise<void>;
  /** DEVICE_STOP_TIMEOUT_MS unless said. */
  stopTimeoutMs?: number;
}

export class DeviceRegistry implements Feature, PortLookup {
  readonly name = 'devices';
  private readonly entries = new Map<string, DeviceEntry>();
  /** Each kind in words ("an RFID reader"), from the families the entries were made by. */
  private readonly inWords = new Map<string, string>();

  /** The devices that could not start, by id: what went wrong and when. */
  private readonly notStarted = new Map<string, NotStarted>();
  /** A start under way per device (the first, a retry or a reconnect's): one at a time, and stop waits for it. */
  private readonly starting = new SingleFlight<string, void>();
  private stopped = false;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly options: DeviceRegistryOptions;

  constructor(
    entries: Iterable<DeviceEntry>,
    families: Iterable<AnyDeviceFamily> = [],
    options: DeviceRegistryOptions = {},
  ) {
    for (const entry of entries) this.entries.set(entry.id, entry);
    for (const family of families) this.inWords.set(family.kind, family.inWords);
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.options = options;
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const entry of this.entries.values()) await this.startOnce(entry, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const failed of this.notStarted.values()) {
      failed.retry?.cancel();
      failed.retry = undefined;
    }
    const timeoutMs = this.options.stopTimeoutMs ?? DEVICE_STOP_TIMEOUT_MS;
    // A try under way finishes first (within the bound), so that what it started is stopped below.
    await withDeadline(
      this.clock,
      'devices-stop:starting',
      Promise.allSettled(this.starting.underWay()),
      timeoutMs,
      () => new CarrelError('stop_timeout', `a device's start did not end within ${timeoutMs} ms`),
    ).catch((error: unknown) => this.logger?.warn({ err: describeError(error) }, 'stopping the devices'));
    await Promise.all([...this.entries.values()].reverse().map((entry) => this.stopEntry(entry, timeoutMs)));
  }

  /** Stops one device within `timeoutMs`; one that does not is named in the log and left behind. */
  private async stopEntry(entry: DeviceEntry, timeoutMs: number): Promise<void> {
    try {
      await withDeadline(
        this.clock,
        `device-stop:${entry.id}`,
        entry.stop(),
        timeoutMs,
        () => new CarrelError('stop_timeout', `did not stop within ${timeoutMs} ms`),
      );
    } catch (error) {
      const described = describeError(error);
      this.logger?.warn(
        { device: entry.id, kind: entry.kind, code: described.code },
        described.code === 'stop_timeout'
          ? `device ${entry.id} did not stop within ${timeoutMs} ms; the desk stops without waiting for it`
          : `device ${entry.id} did not stop cleanly: ${described.message}`,
      );
    }
  }

  /** Starts one device unless a start of it is under way, which is waited for instead. */
  private startOnce(entry: DeviceEntry, again: boolean): Promise<void> {
    return this.starting.run(entry.id, () => this.startEntry(entry, again));
  }

  /**
   * Starts one device; one that cannot start has what it started stopped, is offline saying why,
   * and is tried again later. `again`: a try after a failure (what it needs is made good first).
   */
  private async startEntry(entry: DeviceEntry, again: boolean): Promise<void> {
    const before = this.notStarted.get(entry.id);
    before?.retry?.cancel();
    if (before) before.retry = undefined;
    try {
      if (again) await this.options.beforeRetry?.();
      if (this.stopped) return;
      await entry.start();
      this.notStarted.delete(entry.id);
      if (before)
        this.logger?.info(
          {
            device: entry.id,
            kind: entry.kind,
            failedAttempts: before.retries + 1,
            failingSince: before.at,
          },
          `device ${entry.id} started, after it could not`,
        );
    } catch (error) {
      const described = describeError(error);
      const failed: NotStarted = before ?? {
        ...described,
        at: isoTime(this.clock.now()),
        reasonAt: isoTime(this.clock.now()),
        retries: 0,
        retry: undefined,
        streak: new FailureStreak(this.clock),
      };
      // Another reason than before: the reason changes, not since when the device is offline.
      const changed =
        before !== undefined && (failed.code !== described.code || failed.message !== described.message);
      if (before) {
        failed.retries++;
        if (changed) Object.assign(failed, described, { reasonAt: isoTime(this.clock.now()) });
      }
      this.notStarted.set(entry.id, failed);
      const note = failed.streak.failed(described.code, described.message);
      const fields = { device: entry.id, kind: entry.kind, code: described.code };
      if (!note.say)
        this.logger?.debug(
          { ...fields, attempts: note.attempts },
          `device ${entry.id} still cannot start: ${described.message}`,
        );
      else if (note.reminder)
        this.logger?.warn(
          { ...fields, attempts: note.attempts, failingSince: isoTime(note.since) },
          `device ${entry.id} still cannot start: ${described.message}; tried again every few minutes`,
        );
      // The same streak, another reason: said as what changed, not as a new failure.
      else if (changed)
        this.logger?.warn(
          { ...fields, attempts: failed.retries + 1, failingSince: failed.at },
          `device ${entry.id} still cannot start, now: ${described.message}`,
        );
      else
        this.logger?.error(
          fields,
          `device ${entry.id} could not start: ${described.message}; the rest of the desk runs without it (tried again by itself, or at once when reconnected)`,
        );
      await entry
        .stop()
        .catch((stopError: unknown) =>
          this.logger?.warn(
            { device: entry.id, err: describeError(stopError) },
            'device that could not start did not stop cleanly',
          ),
        );
      this.scheduleRetry(entry, failed);
    }
  }

  private scheduleRetry(entry: DeviceEntry, failed: NotStarted): void {
    if (this.stopped || failed.retry) return;
    const delay = backoffDelay(failed.retries, this.options.retry ?? START_RETRY, this.options.random);
    failed.retry = this.clock.setTimeout(
      `device-start-retry:${entry.id}`,
      () => {
        failed.retry = undefined;
        if (!this.stopped) void this.startOnce(entry, true);
      },
      delay,
    );
  }

  states(): DeviceState[] {
    return [...this.entries.values()].map((entry) => this.stateOf(entry));
  }

  state(id: string): DeviceState | undefined {
    const entry = this.entries.get(id);
    return entry && this.stateOf(entry);
  }

  private stateOf(entry: DeviceEntry): DeviceState {
    const failed = this.notStarted.get(entry.id);
    if (!failed) return entry.state();
    return {
      ...entry.state(),
      status: 'offline',
      since: failed.at,
      reason: `could not start: ${failed.message}`,
      lastError: { code: failed.code, message: failed.message, at: failed.reasonAt },
    };
  }

  port<F extends AnyDeviceFamily>(family: F, id: string): PortOf<F> {
    const entry = this.entries.get(id);
    if (!entry) throw new CarrelError('device_not_found', `no device "${id}"`);
    if (entry.kind !== family.kind)
      throw new CarrelError(
        family.wrongKindCode,
        `device "${id}" is ${this.inWords.get(entry.kind) ?? `of kind "${entry.kind}"`}, not ${family.inWords}`,
      );
    return entry.port as PortOf<F>;
  }

  /** Drops a device's link and connects again now; its health record after that attempt. */
  async reconnect(id: string): Promise<DeviceState> {
    const entry = this.entries.get(id);
    if (!entry) throw new CarrelError('device_not_found', `no device "${id}"`);
    if (this.notStarted.has(id)) await this.startOnce(entry, true);
    else await entry.reconnect();
    return this.stateOf(entry);
  }

  /** Where a device that its peer dials is listening (see DeviceEntry.listening). */
  listening(id: string): { host: string; port: number } | undefined {
    return this.entries.get(id)?.listening?.();
  }

  all<F extends AnyDeviceFamily>(family: F): Array<DeviceEntry<PortOf<F>>> {
    return [...this.entries.values()].filter(
      (entry): entry is DeviceEntry<PortOf<F>> => entry.kind === family.kind,
    );
  }
}
