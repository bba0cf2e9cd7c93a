import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import {
  decodeScanText,
  HidPosAssembler,
  type HidPosItem,
  type HidPosLayout,
  ScanError,
  splitSymbology,
} from '../../protocols/scan/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import {
  describeHid,
  findHid,
  type HidLister,
  type HidOpener,
  type HidReportSource,
  type HidSelector,
  listHidDevices,
  openHidDevice,
} from '../transport/hid.js';
import { ScanTally } from './scan-tally.js';
import type { ScanRead } from './types.js';

export interface HidPosScannerOptions {
  id: string;
  clock: Clock;
  device: HidSelector;
  layout: HidPosLayout;
  maxLength: number;
  /** A multi-report code whose last report has not come after this long is refused. */
  quietMs: number;
  /** Opens the device (the default loads node-hid; tests stand in here). */
  open?: HidOpener;
  /** Lists the HID devices plugged in (the default asks node-hid; tests stand in here). */
  list?: HidLister;
}

/**
 * A USB HID point-of-sale scanner (usage page 0x8C): scanned-data reports, joined
 * when a code spans several, each code one `read` with its AIM symbology. Not in
 * the system's HID device list: the connect fails (`hid_absent`) and the device is
 * offline saying so until it appears (`present()`, polled by the gateway);
 * unplugged: the link is lost, and a code half received is a rejection.
 */
export class HidPosScanner extends EventEmitter implements DeviceDriver {
  readonly kind = 'scanner';
  readonly id: string;
  private source: HidReportSource | undefined;
  private readonly assembler: HidPosAssembler;
  private quietTimer: TimerHandle | undefined;
  private connected = false;
  private readonly tally = new ScanTally(this);

  constructor(private readonly options: HidPosScannerOptions) {
    super();
    this.id = options.id;
    this.assembler = new HidPosAssembler(options.layout, options.maxLength);
  }

  async connect(): Promise<void> {
    const { device } = this.options;
    const found = findHid(device, await this.list());
    if (found === undefined)
      throw new TransportError('hid_absent', `${describeHid(device)} is not plugged in`);
    // By vendor and product: the point-of-sale interface the list found, not the first with those ids.
    const selector = 'path' in device || found.path === undefined ? device : { path: found.path };
    const source = await (this.options.open ?? openHidDevice)(selector);
    this.source = source;
    source.on('data', (report) => this.take(report));
    source.on('error', (error) => this.lost(error));
    this.connected = true;
  }

  /** Is the scanner in the system's HID device list now? */
  async present(): Promise<boolean> {
    return findHid(this.options.device, await this.list()) !== undefined;
  }

  /** The device list says the scanner is gone though its reads did not fail: the link is lost. */
  unplugged(): void {
    this.lost(new TransportError('hid_unplugged', `${describeHid(this.options.device)} was unplugged`));
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.quietTimer?.cancel();
    const source = this.source;
    this.source = undefined;
    await source?.close().catch(() => {});
  }

  condition(): DeviceCondition {
    return {
      status: 'online',
      reason: null,
      detail: { source: 'hidpos', link: describeHid(this.options.device), ...this.tally.counts },
    };
  }

  private list() {
    return (this.options.list ?? listHidDevices)();
  }

  private take(report: Buffer): void {
    this.quietTimer?.cancel();
    this.quietTimer = undefined;
    for (const item of this.assembler.push(report)) this.deliver(item);
    if (this.assembler.pending > 0)
      this.quietTimer = this.options.clock.setTimeout(
        `hidpos-quiet-${this.id}`,
        () => {
          for (const item of this.assembler.flush()) this.deliver(item);
        },
        this.options.quietMs,
      );
  }

  private deliver(item: HidPosItem): void {
    let read: ScanRead;
    try {
      if (!item.ok) throw item.error;
      // UTF-8, no control characters but GS, not empty: as a serial scan is checked.
      const { value } = decodeScanText(item.data);
      const symbology = item.aim === undefined ? undefined : splitSymbology(item.aim).symbology;
      read = {
        source: 'hidpos',
        kind: 'barcode',
        value,
        at: this.options.clock.now(),
        ...(symbology ? { symbology } : {}),
      };
    } catch (error) {
      const rejection =
        error instanceof ScanError ? error : new ScanError('hidpos_bad_report', describeError(error).message);
      this.tally.rejected({ source: 'hidpos', code: rejection.code, message: rejection.message });
      return;
    }
    this.tally.read(read);
  }

  private lost(error: Error): void {
    this.quietTimer?.cancel();
    // Unplugged mid-code: what came is no value.
    for (const item of this.assembler.flush()) this.deliver(item);
    if (!this.connected) return;
    this.connected = false;
    const source = this.source;
    this.source = undefined;
    source?.close().catch(() => {});
    this.emit('disconnected', error);
  }
}
