import {
  isMagstripe,
  parseMagstripe,
  ScanError,
  ScanFramer,
  type ScanFramerOptions,
  type ScanItem,
} from '../../protocols/scan/index.js';
import { ByteStreamScanner, type ScannerDriverOptions } from './scanner-driver.js';
import type { ScanRead } from './types.js';

/** The scan as the reader sent it, for `raw`: one decoder for every scan (it keeps nothing between calls). */
const RAW_TEXT = new TextDecoder();

export interface SerialScannerOptions extends ScannerDriverOptions {
  scan: ScanFramerOptions;
  /** Read track data (`;…=…?`) as a magstripe card's number. */
  magstripe: boolean;
  /**
   * Bytes further apart than this (ms, monotonic) begin a new burst: what was held before the gap
   * (line noise, a scan cut short) is refused on its own, not joined to the scan after it.
   */
  maxGapMs: number;
}

/**
 * A scanner that sends each code as a line: USB-CDC or RS-232 barcode
 * scanners, and magstripe readers in serial mode. Over any byte Transport
 * (serialport, TCP, a pty in tests).
 */
export class SerialScanner extends ByteStreamScanner {
  protected readonly source = 'serial' as const;
  private readonly framer: ScanFramer;
  /** When the last bytes came (monotonic ms). */
  private lastBytesAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SerialScannerOptions) {
    super(options);
    this.framer = new ScanFramer(options.scan);
  }

  protected take(chunk: Buffer): void {
    // A scanner sends a scan in one burst; bytes held from before a gap are not the start of this one.
    const now = this.clock.monotonic();
    if (this.framer.midScan && now - this.lastBytesAt > this.options.maxGapMs) this.flush();
    this.lastBytesAt = now;
    for (const item of this.framer.push(chunk)) this.deliver(item);
  }

  protected pending(): boolean {
    return this.framer.midScan;
  }

  protected flush(): void {
    for (const item of this.framer.flush()) this.deliver(item);
  }

  protected detail(): Record<string, unknown> {
    return {};
  }

  private deliver(item: ScanItem): void {
    if (!item.ok) {
      this.reject(item.error);
      return;
    }
    const { value, symbology } = item.scan;
    const raw = RAW_TEXT.decode(item.raw);
    if (!this.options.magstripe || !isMagstripe(value)) {
      const read: Omit<ScanRead, 'at'> = { source: 'serial', kind: 'barcode', value };
      if (symbology) read.symbology = symbology;
      if (raw !== value) read.raw = raw;
      this.read(read);
      return;
    }
    let card: ReturnType<typeof parseMagstripe>;
    try {
      card = parseMagstripe(value);
    } catch (error) {
      if (!(error instanceof ScanError)) throw error;
      this.reject(error, 'magstripe');
      return;
    }
    this.read({ source: 'magstripe', kind: 'card', value: card.cardNumber, raw });
  }
}
