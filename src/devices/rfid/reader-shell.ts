/**
 * What every HF reader driver shares, whatever its host protocol: the transport
 * and the one-request-at-a-time link over it, per-command timeouts, retries
 * after a corrupt reply, open (transport, then a command that identifies the
 * reader; the transport is closed again when that fails) and close. A driver
 * adds its own frames: how a request is encoded, which reply answers it, and
 * which errors mean "the reply was garbled" (retried) rather than "the reader
 * said no" (thrown at once).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import type { Transport } from '../transport/transport.js';
import { DEFAULT_RFID_TIMEOUTS, type RfidTimeouts } from './defaults.js';
import type { ReaderIdentity } from './reader.js';
import { type FrameParser, ReaderLink } from './reader-link.js';

export { DEFAULT_RFID_TIMEOUTS, type RfidTimeouts };

export interface ReaderShellOptions {
  transport: Transport;
  clock: Clock;
  timeouts?: Partial<RfidTimeouts> | undefined;
  /** Blocks per read command (the reader's buffer bounds it). */
  maxBlocksPerRead?: number | undefined;
  /** Retries after a corrupt reply (CRC error). Default 2. */
  corruptReplyRetries?: number | undefined;
}

export abstract class ReaderShell<F> extends EventEmitter {
  protected readonly transport: Transport;
  protected readonly link: ReaderLink<F>;
  protected readonly timeouts: RfidTimeouts;
  protected readonly maxBlocksPerRead: number;
  private readonly retries: number;

  protected constructor(
    options: ReaderShellOptions,
    parser: FrameParser<F>,
    defaultMaxBlocksPerRead: number,
    /** Sent before the next command after one gave up on its reply (ReaderLink's `sync`). */
    sync?: { bytes: Uint8Array; accepts: (frame: F) => boolean },
  ) {
    super();
    this.transport = options.transport;
    this.timeouts = { ...DEFAULT_RFID_TIMEOUTS, ...options.timeouts };
    this.maxBlocksPerRead = Math.max(1, Math.min(options.maxBlocksPerRead ?? defaultMaxBlocksPerRead, 255));
    this.retries = Math.max(0, options.corruptReplyRetries ?? 2);
    this.link = new ReaderLink(options.transport, options.clock, parser, sync);
    this.transport.on('close', (error) => this.emit('close', error));
  }

  get description(): string {
    return this.transport.description;
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** Commands in a row that got no reply at all: a hung reader. */
  get unansweredInARow(): number {
    return this.link.unanswered;
  }

  /** Frames received corrupt since start (a noisy line shows here). */
  get frameErrors(): number {
    return this.link.frameErrors;
  }

  async open(): Promise<ReaderIdentity> {
    await this.transport.open();
    try {
      return await this.identify();
    } catch (error) {
      await this.transport.close();
      throw error;
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** The first command after the transport opens: who the reader is. */
  protected abstract identify(): Promise<ReaderIdentity>;

  /** True when `error` means the reply was garbled on the line, so the command is sent again. */
  protected abstract isCorruptReply(error: unknown): boolean;

  /**
   * Sends `bytes`, waits for the frame `accepts` takes, lets `check` look inside
   * it (it throws what the reply means), and sends again while replies come
   * back corrupt.
   */
  protected async exchange(
    bytes: Uint8Array,
    accepts: (frame: F) => boolean,
    timeoutMs: number,
    what: string,
    check: (frame: F) => void = () => {},
  ): Promise<F> {
    for (let attempt = 0; ; attempt++) {
      try {
        const frame = await this.link.request(bytes, accepts, timeoutMs, what);
        check(frame);
        return frame;
      } catch (error) {
        if (!this.isCorruptReply(error) || attempt >= this.retries) throw error;
      }
    }
  }
}
