import { CarrelError } from '../../../core/errors.js';
import type { DeviceDriver } from '../../../devices/device.js';
import {
  HidPosScanner,
  PcscScanner,
  type ScanRead,
  type ScanRejection,
  SerialScanner,
  WedgeScanner,
} from '../../../devices/scanner/index.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { InputDeviceTransport } from '../../../devices/transport/input-device.js';
import { keymap } from '../../../protocols/scan/index.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import type { ScannerConfig } from './config.js';
import type { ScannerEvents } from './events.js';
import { HidPresenceWatch } from './hid-presence.js';
import { type Identification, IdentificationRules } from './identification.js';
import type { ScannerPort } from './port.js';

/**
 * A scanner or card reader at run time: its driver kept connected by a
 * supervisor, each read classified by the device's rules and put on the bus as
 * `scanner.identified` (whole: the API edge hides patron values). Nothing here
 * logs a value.
 */
export class ScannerEntry extends SupervisedEntry<ScannerPort, ScannerConfig> {
  readonly port: ScannerPort = { last: () => this.lastIdentification };
  private lastIdentification: Identification | null = null;
  private readonly rules: IdentificationRules;
  private presence: HidPresenceWatch | undefined;

  constructor(config: ScannerConfig, context: FamilyContext) {
    super(config, context);
    this.rules = new IdentificationRules(config.classify);
  }

  async start(): Promise<void> {
    const { bus, clock, logger } = this.context;
    const driver = this.driver();
    driver.on('event', (type: string, data: Record<string, unknown>) => {
      if (type === 'read') this.identified(data as unknown as ScanRead);
      else if (type === 'rejected') {
        const { source, code, message } = data as unknown as ScanRejection;
        emitEvent<ScannerEvents, 'scanner.rejected'>(bus, clock, this.id, 'scanner.rejected', {
          source,
          code,
          message,
        });
      } else if (type === 'card_removed')
        emitEvent<ScannerEvents, 'scanner.card_removed'>(bus, clock, this.id, 'scanner.card_removed', {
          source: (data as { source: ScanRead['source'] }).source,
        });
    });
    this.supervisor = new DeviceSupervisor({ driver, eventFamily: undefined, clock, bus, logger });
    this.supervisor.start();
    if (driver instanceof HidPosScanner) {
      // Hot-plug: the HID device list, read on the clock, says when the scanner comes and goes.
      this.presence = new HidPresenceWatch({
        id: this.id,
        driver,
        supervisor: this.supervisor,
        clock,
        pollMs: this.config.hid.pollMs,
      });
      this.presence.start();
    }
  }

  async stop(): Promise<void> {
    this.presence?.stop();
    await this.supervisor?.stop();
  }

  private identified(read: ScanRead): void {
    const identification = this.rules.classify(read, this.id);
    this.lastIdentification = identification;
    emitEvent<ScannerEvents, 'scanner.identified'>(
      this.context.bus,
      this.context.clock,
      this.id,
      'scanner.identified',
      identification,
    );
  }

  private driver(): DeviceDriver {
    const { config } = this;
    const { clock } = this.context;
    const { scan } = config;
    switch (config.driver) {
      case 'serial': {
        if (!config.transport)
          throw new CarrelError('config_invalid', `scanner "${this.id}" has no transport`);
        return new SerialScanner({
          id: config.id,
          transport: createTransport(config.transport, this.context.simulators, { clock }),
          clock,
          quietMs: scan.quietMs,
          maxGapMs: scan.maxGapMs,
          magstripe: scan.magstripe,
          scan: {
            terminator: scan.terminator,
            maxLength: scan.maxLength,
            prefix: scan.prefix,
            suffix: scan.suffix,
            aim: scan.aim,
          },
        });
      }
      case 'evdev': {
        if (!config.device) throw new CarrelError('config_invalid', `scanner "${this.id}" has no device`);
        return new WedgeScanner({
          id: config.id,
          transport: new InputDeviceTransport({ path: config.device }),
          clock,
          quietMs: scan.quietMs,
          magstripe: scan.magstripe,
          wedge: { ...config.wedge, keymap: keymap(config.wedge.keymap), maxLength: scan.maxLength },
          text: { prefix: scan.prefix, suffix: scan.suffix, aim: scan.aim },
        });
      }
      case 'hidpos': {
        const { hid } = config;
        const device =
          hid.path !== undefined
            ? { path: hid.path }
            : { vendorId: hid.vendorId ?? 0, productId: hid.productId ?? 0 };
        return new HidPosScanner({
          id: config.id,
          clock,
          device,
          layout: hid.layout,
          maxLength: scan.maxLength,
          quietMs: scan.quietMs,
        });
      }
      case 'pcsc': {
        const { card } = config;
        return new PcscScanner({
          id: config.id,
          clock,
          reader: card.reader,
          uid: {
            format: card.format,
            byteOrder: card.byteOrder,
            hexCase: card.hexCase,
            decimalDigits: card.decimalDigits,
          },
          script: card.script.map((apdu) => Buffer.from(apdu, 'hex')),
          value: card.value,
          readerTimeoutMs: 3000,
        });
      }
    }
  }
}
