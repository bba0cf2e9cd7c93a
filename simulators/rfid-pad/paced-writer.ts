/**
 * Serial realism: a byte at `baud` with start, parity/stop bits takes 11 bit times. Replies
 * leave only once the request's and the reply's bytes would have crossed the line.
 * Backpressure: reading stops while replies pile up for a client that does not read them.
 */
import type { Duplex } from 'node:stream';

export const BITS_PER_BYTE = 11;
/** Reply bytes buffered for a client that does not read; past this, reading stops. */
export const MAX_REPLY_BACKLOG_BYTES = 64 * 1024;
/** Paced replies waiting for their line time; past this, reading stops. */
export const MAX_PACED_REPLIES = 64;

export function lineTimeMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_BYTE * 1000) / baudRate;
}

export class PacedWriter {
  private lineFreeAt = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Called after each paced reply leaves. */
  onSent: (() => void) | undefined;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    private readonly baudRate: number | undefined,
  ) {}

  /** Sends `reply` once `requestBytes + reply.length` bytes of line time have passed. */
  send(reply: Uint8Array, requestBytes: number): void {
    if (this.closed) return;
    if (!this.baudRate) {
      this.write(reply);
      return;
    }
    const now = performance.now();
    const start = Math.max(now, this.lineFreeAt);
    this.lineFreeAt = start + lineTimeMs(requestBytes + reply.length, this.baudRate);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.closed) this.write(reply);
        this.onSent?.();
      },
      Math.max(0, this.lineFreeAt - now),
    );
    this.timers.add(timer);
  }

  /** Paced replies not yet sent. */
  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * Stops reading `stream` while its replies pile up (buffered for a client that
 * does not read, or waiting for line time) and reads again once they have gone.
 * Call `check` after each read.
 */
export function replyBackpressure(stream: Duplex, writer: PacedWriter): { check(): void; dispose(): void } {
  let paused = false;
  const check = () => {
    const backlogged = stream.writableLength > MAX_REPLY_BACKLOG_BYTES || writer.pending > MAX_PACED_REPLIES;
    if (backlogged && !paused) {
      paused = true;
      stream.pause();
    } else if (!backlogged && paused && !stream.destroyed) {
      paused = false;
      stream.resume();
    }
  };
  stream.on('drain', check);
  writer.onSent = check;
  return {
    check,
    dispose() {
      stream.off('drain', check);
      writer.onSent = undefined;
    },
  };
}

/** What a reader protocol's frame parser gives for each frame it finds (or could not read). */
export type ParsedFrame<Frame> = { ok: true; frame: Frame; bytes: Uint8Array } | { ok: false };

/**
 * Serves a reader protocol on `stream`: each frame `parser` finds is given to `reply`
 * (one it could not read, or one `reply` leaves unanswered, gets nothing). Replies
 * leave paced at `baudRate` (at once without one) with reading stopped while they
 * pile up, one corrupted in its last byte when the pad says so (`corruptReply`).
 * Once the stream or the session is closed nothing more is sent.
 */
export function servePacedReplies<Frame>(
  stream: Duplex,
  parser: { push(chunk: Uint8Array): Iterable<ParsedFrame<Frame>> },
  pad: { corruptReply(): boolean },
  baudRate: number | undefined,
  reply: (frame: Frame) => Uint8Array | undefined,
): { close(): void } {
  const writer = new PacedWriter((bytes) => {
    if (!stream.destroyed && stream.writable) stream.write(bytes);
  }, baudRate);
  const onData = (chunk: Buffer) => {
    for (const item of parser.push(chunk)) {
      if (!item.ok) continue;
      const bytes = reply(item.frame);
      if (!bytes) continue;
      if (pad.corruptReply()) bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x5a;
      writer.send(bytes, item.bytes.length);
    }
    backpressure.check();
  };
  const backpressure = replyBackpressure(stream, writer);
  stream.on('data', onData);
  const onClose = () => writer.close();
  stream.once('close', onClose);
  return {
    close() {
      stream.off('data', onData);
      stream.off('close', onClose);
      backpressure.dispose();
      writer.close();
    },
  };
}
