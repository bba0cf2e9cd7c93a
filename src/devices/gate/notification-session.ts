/**
 * One notification connection from a FEIG gate: frames in (bounded, resyncing parser),
 * keep-alives and notifications out as typed values, and — in ACK mode — each valid
 * notification answered with `[0x32] Clear Data Buffer` so the reader drops it from its buffer
 * (an unanswered one is sent again). Bad bytes never throw: they are counted and reported.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import {
  clearBufferRequest,
  decodeKeepAlive,
  decodeNotification,
  encodeFeigFrame,
  FEIG_GATE_COMMAND,
  FEIG_NOTIFICATION_COMMAND,
  FeigFrameError,
  FeigFrameParser,
  type FeigKeepAlive,
  type FeigNotification,
  type FeigParseItem,
} from '../../protocols/feig/index.js';
import type { PeerAddress } from '../transport/tcp-listener.js';
import type { Transport } from '../transport/transport.js';

/** Largest frame accepted on a notification link: a full reader buffer of records fits. */
export const NOTIFICATION_MAX_FRAME = 8192;

export interface NotificationSessionOptions {
  /** Answer each notification with [0x32]. */
  ack: boolean;
  /** COM-ADR the acknowledgement goes to. */
  address: number;
  clock: Clock;
  /**
   * A frame still incomplete this long after its first bytes had a garbled length: its STX is
   * dropped and the bytes after it parsed again (a gate writes each frame whole). Default 1000 ms.
   */
  partialFrameTimeoutMs?: number;
}

export interface NotificationSessionEvents {
  keepalive: [FeigKeepAlive];
  notification: [FeigNotification];
  /** Bytes that were not a valid frame or not a valid notification; `code` is the codec's. */
  frame_error: [code: string];
  /** A valid frame of a command a notification link does not carry. */
  ignored: [command: number];
  closed: [error: Error | undefined];
}

export class NotificationSession extends EventEmitter<NotificationSessionEvents> {
  private readonly parser = new FeigFrameParser({ maxFrame: NOTIFICATION_MAX_FRAME });
  private partialTimer: TimerHandle | undefined;
  acks = 0;

  constructor(
    readonly link: Transport,
    readonly peer: PeerAddress,
    private readonly options: NotificationSessionOptions,
  ) {
    super();
    link.on('data', (chunk) => this.take(this.parser.push(chunk)));
    link.on('close', (error) => {
      this.partialTimer?.cancel();
      this.parser.reset();
      this.emit('closed', error);
    });
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private take(items: FeigParseItem[]): void {
    this.watchPartialFrame(items.length > 0);
    for (const item of items) {
      if (!item.ok) {
        this.emit('frame_error', item.error.code);
        continue;
      }
      const { frame } = item;
      if (frame.command === FEIG_GATE_COMMAND.keepAlive) {
        const keepAlive = this.decode(() => decodeKeepAlive(frame));
        if (keepAlive) this.emit('keepalive', keepAlive);
      } else if (frame.command === FEIG_NOTIFICATION_COMMAND) {
        const notification = this.decode(() => decodeNotification(frame.data));
        if (!notification) continue;
        try {
          this.emit('notification', notification);
        } finally {
          // [0x32] clears the gate's buffer: only once the read is handed on (an alarm then waits
          // for no write), and whatever a listener did, so the gate is never left waiting.
          if (this.options.ack) this.acknowledge();
        }
      } else {
        this.emit('ignored', frame.command);
      }
    }
  }

  /**
   * Arms the stale-frame timer while the parser holds part of a frame, and only then, from when
   * that frame began: `moved` when the parser let go of what it held before (a frame whole, bytes
   * skipped), so what it holds now, if anything, is the start of another frame (on a busy link a
   * read often ends inside the next frame: the one before it is not this one's clock).
   */
  private watchPartialFrame(moved: boolean): void {
    if (this.parser.pending === 0 || moved) {
      this.partialTimer?.cancel();
      this.partialTimer = undefined;
    }
    if (this.parser.pending === 0) return;
    this.partialTimer ??= this.options.clock.setTimeout(
      `gate notification ${this.peer.address} partial frame`,
      () => {
        this.partialTimer = undefined;
        if (this.link.isOpen) this.take(this.parser.resync());
      },
      this.options.partialFrameTimeoutMs ?? 1000,
    );
  }

  /** The decoded value, or undefined (reported as a frame error) when the gate sent nonsense. */
  private decode<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      // Only the codec's own error means bad bytes; anything else is our bug and goes up.
      if (!(error instanceof FeigFrameError)) throw error;
      this.emit('frame_error', error.code);
      return undefined;
    }
  }

  private acknowledge(): void {
    this.acks++;
    this.link.write(encodeFeigFrame(clearBufferRequest(this.options.address))).catch(() => {
      // The link is going away; its close event says so.
    });
  }
}
