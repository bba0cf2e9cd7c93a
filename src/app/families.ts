/**
 * THE list of device families. Everything that depends on which kinds of
 * device Carrel knows is derived from it: the config's `devices[]` and
 * `simulators[]` entries and the JSON Schema (src/app/config.ts), the run-time
 * entries (src/app/desk.ts), the in-process simulators and `carrel sim`, the
 * HTTP routes and MQTT actions (each family's API module). Adding a family is
 * one folder per layer and one line here — see docs/architecture.md.
 */

import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { cashSimulators } from '../../simulators/cash/family.js';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import { cardPrinterApi } from '../api/families/card-printer.js';
import { cashDeviceApi } from '../api/families/cash-device.js';
import { gateApi } from '../api/families/gate.js';
import { printQueueApi } from '../api/families/print-queue.js';
import { receiptPrinterApi } from '../api/families/receipt-printer.js';
import { rfidReaderApi } from '../api/families/rfid-reader.js';
import { scannerApi } from '../api/families/scanner.js';
import type { ApiModule } from '../api/operations.js';
import { cardPrinters } from '../gateway/families/card-printer/index.js';
import { cashDevices } from '../gateway/families/cash-device/index.js';
import { gates } from '../gateway/families/gate/index.js';
import { ilsLinks } from '../gateway/families/ils/index.js';
import { printQueues } from '../gateway/families/print-queue/index.js';
import { receiptPrinters } from '../gateway/families/receipt-printer/index.js';
import { rfidReaders } from '../gateway/families/rfid-reader/index.js';
import { scanners } from '../gateway/families/scanner/index.js';

/** One family: its gateway part (src/gateway/families), its simulator, its API module. */
export const FAMILIES = [
  { device: ilsLinks, simulator: ilsSimulators },
  { device: receiptPrinters, simulator: printerSimulators, api: receiptPrinterApi },
  { device: rfidReaders, simulator: rfidPadSimulators, api: rfidReaderApi },
  { device: gates, simulator: gateSimulators, api: gateApi },
  { device: printQueues, simulator: printServerSimulators, api: printQueueApi },
  { device: cashDevices, simulator: cashSimulators, api: cashDeviceApi },
  { device: cardPrinters, simulator: cardPrinterSimulators, api: cardPrinterApi },
  { device: scanners, simulator: scannerSimulators, api: scannerApi },
] as const;

export type Family = (typeof FAMILIES)[number];
export const DEVICE_FAMILIES = FAMILIES.map((family) => family.device);
export const SIMULATOR_FAMILIES = FAMILIES.map((family) => family.simulator);
export const FAMILY_API_MODULES: readonly ApiModule[] = FAMILIES.flatMap((family) =>
  'api' in family ? [family.api] : [],
);
