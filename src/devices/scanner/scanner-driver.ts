import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { ScanError } from '../../protocols/scan/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { Transport } from '../transport/transport.js';
import { ScanTally } from './scan-tally.js';
import type { ScanRead, ScanSource } from './types.js';

export interface ScannerDriverOptions {
  id: string;
  transport: Transport;
  clock: Clock;
  /** Bytes held this long with nothing more are an unterminated scan. */
  quietMs: number;
}

/**
 * What the scanner drivers over a byte stream share (serial, keyboard wedge):
 * the transport's lifecycle, a quiet timer that turns a scan left without its
 * terminator into a rejection, counts for the health record, and the
 * `read`/`rejected` events. A subclass decodes bytes (`take`) and says what it
 * holds (`pending`, `flush`).
 */
export abstract class ByteStreamScanner extends EventEmitter implements DeviceDriver {
  readonly kind = 'scanner';
  readonly id: string;
  protected readonly clock: Clock;
  private readonly transport: Transport;
  private quietTimer: TimerHandle | undefined;
  private connected = false;
  private readonly tally = new ScanTally(this);

  constructor(private readonly base: ScannerDriverOptions) {
    super();
    this.id = base.id;
    this.transport = base.transport;
    this.clock = base.clock;
  }

  protected abstract readonly source: ScanSource;
  /** Decodes a chunk; reports reads and rejections through `read`/`reject`. */
  protected abstract take(chunk: Buffer): void;
  /** Whether a scan is half held. */
  protected abstract pending(): boolean;
  /** The line went quiet or was lost: what is held becomes a rejection (or typing). */
  protected abstract flush(): void;
  /** Driver-specific health detail. */
  protected abstract detail(): Record<string, unknown>;

  async connect(): Promise<void> {
    this.transport.on('data', this.onData);
    this.transport.on('close', this.onClose);
    try {
      await this.transport.open();
    } catch (error) {
      this.transport.off('data', this.onData);
      this.transport.off('close', this.onClose);
      throw error;
    }
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.quietTimer?.cancel();
    await this.transport.close();
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
  }

  condition(): DeviceCondition {
    return {
      status: 'online',
      reason: null,
      detail: {
        source: this.source,
        link: this.transport.description,
        ...this.tally.counts,
        ...this.detail(),
      },
    };
  }

  protected read(read: Omit<ScanRead, 'at'>): void {
    this.tally.read({ ...read, at: this.clock.now() });
  }

  protected reject(error: ScanError | Error, source: ScanSource = this.source): void {
    const { code, message } = describeError(error);
    this.tally.rejected({ source, code, message });
  }

  protected typed(keys: number): void {
    this.tally.typed(keys);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.quietTimer?.cancel();
    this.quietTimer = undefined;
    this.take(chunk);
    if (this.pending())
      this.quietTimer = this.clock.setTimeout(
        `scanner-quiet-${this.id}`,
        () => this.flush(),
        this.base.quietMs,
      );
  };

  private readonly onClose = (error: Error | undefined): void => {
    this.quietTimer?.cancel();
    this.transport.off('data', this.onData);
    this.transport.off('close', this.onClose);
    // A reader unplugged mid-scan: what it sent so far is no value.
    if (this.pending()) this.flush();
    if (this.connected && error) {
      this.connected = false;
      this.emit('disconnected', error);
    }
  };
}
