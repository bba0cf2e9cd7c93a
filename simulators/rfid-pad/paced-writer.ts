/**
 * Serial realism: a byte at `baud` with start, parity/stop bits takes 11 bit times. Replies
 * leave only once the request's and the reply's bytes would have crossed the line.
 */
export const BITS_PER_BYTE = 11;

export function lineTimeMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_BYTE * 1000) / baudRate;
}

export class PacedWriter {
  private lineFreeAt = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

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
      },
      Math.max(0, this.lineFreeAt - now),
    );
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
