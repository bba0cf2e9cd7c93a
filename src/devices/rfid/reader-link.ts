/**
 * One request at a time over a Transport: write a frame, wait for the matching reply within
 * a timeout on the Clock. Shared by the FEIG and 3M drivers and the gate's command link; the
 * frame format is theirs.
 *
 * Each request starts with nothing held. The readers answer only what they are asked in the modes
 * Carrel uses them in (FEIG host mode, the 3M pad's command protocol, a gate's command port; a
 * gate's notifications come on a link of their own), and the request before has settled: bytes the
 * parser still holds then are of a reply given up on — the start of a frame whose length came
 * garbled (0x000F read as 0x020F), waiting for hundreds of bytes that never come — and would hold
 * this reply and every later one behind them until the reader was taken for hung.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { type PeerError, TimeoutError, TransportClosedError } from '../../core/errors.js';
import type { Transport } from '../transport/transport.js';

export interface FrameParser<F> {
  push(chunk: Uint8Array): Array<{ ok: true; frame: F } | { ok: false; error: PeerError }>;
  /** Bytes held waiting for the rest of a frame. */
  readonly pending: number;
  reset(): void;
}

interface Pending<F> {
  accepts(frame: F): boolean;
  resolve(frame: F): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

export class ReaderLink<F> extends EventEmitter {
  private chain: Promise<unknown> = Promise.resolve();
  private pending: Pending<F> | undefined;
  /** Frame errors seen (CRC, garbage, a frame start let go as stale), for health detail. */
  frameErrors = 0;
  /**
   * Requests in a row that got no reply at all within their timeout; any reply
   * (even a corrupt frame) sets it back to 0, and so does a new connection. A
   * reader that answers nothing is hung, however long its link stays open.
   */
  unanswered = 0;

  /** A request gave up waiting for its reply, which may still come: the next request syncs first. */
  private replyOwed = false;

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly parser: FrameParser<F>,
    /**
     * A request whose reply no other command's is taken for (FEIG: the software version). After a
     * request gave up, it is sent before the next and its reply awaited: a reader answers in order,
     * so every late reply has come (and is let go) by then — without it, a late reply to a command
     * answered under the same command byte (every FEIG ISO host command is 0xB0, and a read-blocks
     * reply does not name its tag) would be taken for the next one's: one tag's memory as another's.
     */
    private readonly sync?: { bytes: Uint8Array; accepts: (frame: F) => boolean },
  ) {
    super();
    transport.on('data', (chunk) => this.onData(chunk));
    transport.on('close', (error) => {
      this.parser.reset();
      this.unanswered = 0;
      this.replyOwed = false;
      this.fail(error ?? new TransportClosedError(`${transport.description} closed`));
    });
  }

  /**
   * Sends `bytes` after every earlier request has finished, and resolves with the first
   * frame `accepts` takes. A corrupt reply rejects at once with its PeerError.
   */
  request(bytes: Uint8Array, accepts: (frame: F) => boolean, timeoutMs: number, what: string): Promise<F> {
    const run = async () => {
      if (this.sync && this.replyOwed) {
        await this.exchange(
          this.sync.bytes,
          this.sync.accepts,
          timeoutMs,
          `${what} (a reply given up on may still come)`,
        );
        this.replyOwed = false;
      }
      return this.exchange(bytes, accepts, timeoutMs, what);
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }

  private exchange(
    bytes: Uint8Array,
    accepts: (frame: F) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<F> {
    return new Promise<F>((resolve, reject) => {
      if (!this.transport.isOpen) {
        reject(new TransportClosedError(`${this.transport.description} is not open`));
        return;
      }
      this.dropStale();
      const timer = this.clock.setTimeout(
        `rfid ${what}`,
        () => {
          this.unanswered++;
          this.replyOwed = true;
          this.settle(undefined, new TimeoutError(`${what}: no reply within ${timeoutMs} ms`));
        },
        timeoutMs,
      );
      this.pending = { accepts, resolve, reject, timer };
      this.transport.send(bytes, (error) => this.settle(undefined, error));
    });
  }

  /** What the parser still holds as a request starts is of a reply given up on (see the top): let go, counted. */
  private dropStale(): void {
    if (this.parser.pending === 0) return;
    this.frameErrors++;
    this.parser.reset();
  }

  private onData(chunk: Buffer): void {
    for (const item of this.parser.push(chunk)) {
      if (!item.ok) {
        this.frameErrors++;
        if (item.error.code !== 'feig_garbage' && item.error.code !== 'threem_garbage') {
          this.unanswered = 0;
          this.settle(undefined, item.error);
        }
        continue;
      }
      this.unanswered = 0;
      if (this.pending?.accepts(item.frame)) this.settle(item.frame, undefined);
    }
  }

  private settle(frame: F | undefined, error: Error | undefined): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    pending.timer.cancel();
    if (error) pending.reject(error);
    else pending.resolve(frame as F);
  }

  private fail(error: Error): void {
    this.settle(undefined, error);
  }
}
