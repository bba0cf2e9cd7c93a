import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CarrelConfig, DeviceConfig } from '../gateway/config/schema.js';
import { IlsLinkEntry } from '../gateway/devices/ils-link.js';
import { ReceiptPrinterEntry } from '../gateway/devices/receipt-printer.js';
import type { DeviceEntry } from '../gateway/devices/registry.js';
import { RfidReaderEntry } from '../gateway/devices/rfid-reader.js';
import type { EventBus } from '../gateway/event-bus.js';
import type { SimulatorsFeature } from './simulators-feature.js';
import type { StorageFeature } from './storage-feature.js';

/** One run-time entry per configured device, by kind. */
export function buildDeviceEntries(options: {
  devices: readonly DeviceConfig[];
  ils: CarrelConfig['ils'];
  storage: StorageFeature;
  simulators: SimulatorsFeature;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}): DeviceEntry[] {
  const entries = options.devices.map((config): DeviceEntry => {
    if (config.kind === 'receipt-printer') {
      return new ReceiptPrinterEntry({
        config,
        database: () => options.storage.db,
        resolveSimulator: (id) => options.simulators.address(id),
        bus: options.bus,
        clock: options.clock,
        logger: options.logger,
      });
    }
    if (config.kind === 'rfid-reader') {
      return new RfidReaderEntry({
        config,
        resolveSimulator: (id) => options.simulators.address(id),
        bus: options.bus,
        clock: options.clock,
        logger: options.logger,
      });
    }
    const unknown: never = config;
    throw new Error(`no driver for device kind ${(unknown as DeviceConfig).kind}`);
  });
  if (options.ils) {
    entries.unshift(
      new IlsLinkEntry({
        config: options.ils,
        resolveSimulator: (id) => options.simulators.address(id),
        bus: options.bus,
        clock: options.clock,
        logger: options.logger,
      }),
    );
  }
  return entries;
}
