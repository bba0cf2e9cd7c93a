import {
  InputEventReader,
  isMagstripe,
  parseMagstripe,
  ScanError,
  type ScanTextOptions,
  scanTextOf,
  WedgeDecoder,
  type WedgeItem,
  type WedgeOptions,
} from '../../protocols/scan/index.js';
import { ByteStreamScanner, type ScannerDriverOptions } from './scanner-driver.js';

export interface WedgeScannerOptions extends ScannerDriverOptions {
  wedge: WedgeOptions;
  text: ScanTextOptions;
  magstripe: boolean;
}

/**
 * A keyboard-wedge scanner (or magstripe reader) read from its Linux input
 * device: input_event records, key codes through the configured keymap, scan
 * bursts told from typing by the time between keys. The desktop session must
 * not see the device too (LIBINPUT_IGNORE_DEVICE in systemd/99-carrel.rules).
 */
export class WedgeScanner extends ByteStreamScanner {
  protected readonly source = 'wedge' as const;
  private readonly records = new InputEventReader();
  private readonly decoder: WedgeDecoder;

  constructor(private readonly options: WedgeScannerOptions) {
    super(options);
    this.decoder = new WedgeDecoder(options.wedge);
  }

  protected take(chunk: Buffer): void {
    for (const record of this.records.push(chunk)) {
      if (record instanceof ScanError) this.reject(record);
      else for (const item of this.decoder.push(record)) this.deliver(item);
    }
  }

  protected pending(): boolean {
    return this.decoder.pending > 0 || this.records.pending > 0;
  }

  protected flush(): void {
    // Quiet for longer than a burst's gap: judged on the kernel's clock, as the keys were.
    for (const item of this.decoder.flush(Number.MAX_SAFE_INTEGER)) this.deliver(item);
    this.records.push(new Uint8Array(0));
  }

  protected detail(): Record<string, unknown> {
    return { keymap: this.options.wedge.keymap.name };
  }

  private deliver(item: WedgeItem): void {
    if (item.kind === 'typing') this.typed(item.keys);
    else if (item.kind === 'error') this.reject(item.error);
    else this.identify(item.text);
  }

  private identify(text: string): void {
    const swipe = this.options.magstripe && isMagstripe(text);
    let read: Parameters<WedgeScanner['read']>[0];
    try {
      if (swipe)
        read = { source: 'magstripe', kind: 'card', value: parseMagstripe(text).cardNumber, raw: text };
      else {
        const { value, symbology } = scanTextOf(text, this.options.text);
        read = { source: 'wedge', kind: 'barcode', value };
        if (symbology) read.symbology = symbology;
        if (value !== text) read.raw = text;
      }
    } catch (error) {
      if (!(error instanceof ScanError)) throw error;
      this.reject(error, swipe ? 'magstripe' : 'wedge');
      return;
    }
    this.read(read);
  }
}
