import type { Clock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import type { AnyDeviceFamily, DeviceEntry, PortLookup, PortOf } from '../family.js';
import type { Feature } from '../feature.js';

/**
 * Every configured device, started in configuration order and stopped in
 * reverse. A device that cannot start fails alone: what it had started is
 * stopped again, it is offline saying why ("could not start: …", logged with its
 * id), the rest of the desk starts, and reconnecting it tries its start again.
 * It is also the one place that hands out typed ports:
 * `devices.port(receiptPrinters, 'receipt-1')` is a ReceiptPrinterPort, or a
 * problem with a stable code (`device_not_found`, or the family's own
 * wrong-kind code such as `not_a_printer`).
 */
export class DeviceRegistry implements Feature, PortLookup {
  readonly name = 'devices';
  private readonly entries = new Map<string, DeviceEntry>();
  /** Each kind in words ("an RFID reader"), from the families the entries were made by. */
  private readonly inWords = new Map<string, string>();

  /** The devices that could not start, by id: what went wrong and when. */
  private readonly notStarted = new Map<string, { code: string; message: string; at: string }>();
  private readonly logger: Logger | undefined;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(
    entries: Iterable<DeviceEntry>,
    families: Iterable<AnyDeviceFamily> = [],
    options: { logger?: Logger; clock?: Pick<Clock, 'now'> } = {},
  ) {
    for (const entry of entries) this.entries.set(entry.id, entry);
    for (const family of families) this.inWords.set(family.kind, family.inWords);
    this.logger = options.logger;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  async start(): Promise<void> {
    for (const entry of this.entries.values()) await this.startEntry(entry);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].reverse().map((entry) => entry.stop()));
  }

  /** Starts one device; one that cannot start has what it started stopped and is offline saying why. */
  private async startEntry(entry: DeviceEntry): Promise<void> {
    try {
      await entry.start();
      this.notStarted.delete(entry.id);
    } catch (error) {
      const described = describeError(error);
      this.notStarted.set(entry.id, { ...described, at: new Date(this.clock.now()).toISOString() });
      this.logger?.error(
        { device: entry.id, kind: entry.kind, code: described.code },
        `device ${entry.id} could not start: ${described.message}; the rest of the desk runs without it (reconnecting it tries again)`,
      );
      await entry
        .stop()
        .catch((stopError: unknown) =>
          this.logger?.warn(
            { device: entry.id, err: describeError(stopError) },
            'device that could not start did not stop cleanly',
          ),
        );
    }
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
      lastError: failed,
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
    if (this.notStarted.has(id)) await this.startEntry(entry);
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
