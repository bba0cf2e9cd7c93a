import { CarrelError } from '../../core/errors.js';
import type { DeviceState } from '../../devices/device-state.js';
import type { AnyDeviceFamily, DeviceEntry, PortLookup, PortOf } from '../family.js';
import type { Feature } from '../feature.js';

/**
 * Every configured device, started in configuration order and stopped in
 * reverse, and the one place that hands out typed ports:
 * `devices.port(receiptPrinters, 'receipt-1')` is a ReceiptPrinterPort, or a
 * problem with a stable code (`device_not_found`, or the family's own
 * wrong-kind code such as `not_a_printer`).
 */
export class DeviceRegistry implements Feature, PortLookup {
  readonly name = 'devices';
  private readonly entries = new Map<string, DeviceEntry>();
  /** Each kind in words ("an RFID reader"), from the families the entries were made by. */
  private readonly inWords = new Map<string, string>();

  constructor(entries: Iterable<DeviceEntry>, families: Iterable<AnyDeviceFamily> = []) {
    for (const entry of entries) this.entries.set(entry.id, entry);
    for (const family of families) this.inWords.set(family.kind, family.inWords);
  }

  async start(): Promise<void> {
    for (const entry of this.entries.values()) await entry.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].reverse().map((entry) => entry.stop()));
  }

  states(): DeviceState[] {
    return [...this.entries.values()].map((entry) => entry.state());
  }

  state(id: string): DeviceState | undefined {
    return this.entries.get(id)?.state();
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
    await entry.reconnect();
    return entry.state();
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
