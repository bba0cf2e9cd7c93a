/**
 * The scanner family: barcode scanners and patron card readers — serial
 * scanners and magstripe readers, keyboard-wedge scanners on Linux evdev — as
 * one stream of identifications (`scanner.identified`) that sessions and desk
 * clients use. Its simulator kind is `scanner`.
 */
import { scanTerminatorEnd } from '../../../protocols/scan/scan-framer.js';
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type ScannerConfig, scannerSchema } from './config.js';
import { SCANNER_EVENTS, type ScannerEvents } from './events.js';

export { type ScannerConfig, scannerSchema } from './config.js';
export type { ScannerEvents } from './events.js';
export {
  type Identification,
  type IdentificationRole,
  mayNameAPerson,
  type ScanRejectedEvent,
} from './identification.js';
export type { ScannerPort } from './port.js';

export const scanners = deviceFamily<ScannerEvents>()({
  kind: 'scanner',
  inWords: 'a scanner',
  wrongKindCode: 'not_a_scanner',
  config: scannerSchema,
  events: SCANNER_EVENTS,
  check: (config: ScannerConfig, layout, issue) => {
    if (config.driver === 'serial' && !config.transport)
      issue(['transport'], 'a serial scanner needs a transport (serial, tcp or simulator)');
    if (config.driver === 'serial') {
      // Scanner manuals call the CR sent after each code a "suffix": written as scan.suffix it is
      // cut off as the terminator first, and no scan ever ends with the suffix.
      const end = scanTerminatorEnd(config.scan.terminator);
      for (const affix of ['prefix', 'suffix'] as const) {
        if (config.scan[affix]?.includes(String.fromCharCode(end.byte)))
          issue(
            ['scan', affix],
            `holds the ${end.name} that ends each scan (scan.terminator: ${config.scan.terminator}), so every scan would be cut there and refused: leave it out of scan.${affix} (Carrel takes the terminator off), or set scan.terminator to what the scanner sends last`,
          );
      }
    }
    if (config.driver === 'evdev' && !config.device)
      issue(['device'], 'a keyboard-wedge scanner needs its input device (/dev/input/by-id/…-event-kbd)');
    if (
      config.driver === 'hidpos' &&
      config.hid.path === undefined &&
      (config.hid.vendorId === undefined || config.hid.productId === undefined)
    )
      issue(['hid'], 'a HID POS scanner needs its hidraw path, or its vendorId and productId');
    if (config.driver === 'pcsc' && config.card.value !== 'uid' && config.card.script.length === 0)
      issue(['card', 'script'], `value: ${config.card.value} reads the script's last answer: give a script`);
    if (config.transport) checkSimulatorTransport(config.transport, 'scanner', layout, issue);
    if (config.classify.cards === 'mapped' && Object.keys(config.classify.cardPatrons).length === 0)
      issue(['classify', 'cardPatrons'], 'cards: mapped needs cardPatrons (card number → patron barcode)');
  },
  doctor: async (config, context) => (await import('./doctor.js')).scannerDoctor(config, context),
  create: async (config: ScannerConfig, context) =>
    new (await import('./entry.js')).ScannerEntry(config, context),
});
