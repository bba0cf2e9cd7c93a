/**
 * Gathers bytes as they arrive and hands them out in exact amounts, so a test
 * can await "the next 5 bytes" whatever chunks they came in.
 */
export class ByteCollector {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { length: number; resolve: (bytes: Buffer) => void; timer?: NodeJS.Timeout } | undefined;

  /** Bytes received and not yet taken. */
  get pending(): number {
    return this.buffered.length;
  }

  readonly push = (chunk: Uint8Array): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.settle();
  };

  /**
   * Resolves with the next `length` bytes once they have all arrived. With `within`, it rejects
   * after that many ms saying how many had come (and `what`, e.g. which direction, and whatever
   * `context()` says then): a stalled link names itself instead of running into the test's timeout.
   */
  take(length: number, within?: TakeLimit): Promise<Buffer> {
    if (this.waiter) throw new Error('ByteCollector: one take() at a time');
    return new Promise((resolve, reject) => {
      const waiter: NonNullable<ByteCollector['waiter']> = { length, resolve };
      if (within) {
        waiter.timer = setTimeout(() => {
          if (this.waiter !== waiter) return;
          this.waiter = undefined;
          const context = within.context?.();
          reject(
            new Error(
              `${within.what}: ${this.buffered.length} of ${length} bytes arrived within ${within.ms} ms` +
                (context ? ` (${context})` : ''),
            ),
          );
        }, within.ms);
      }
      this.waiter = waiter;
      this.settle();
    });
  }

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter || this.buffered.length < waiter.length) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    const bytes = this.buffered.subarray(0, waiter.length);
    this.buffered = this.buffered.subarray(waiter.length);
    waiter.resolve(Buffer.from(bytes));
  }
}

/** `length` bytes of a pattern that makes a reordered or dropped chunk show. */
export function patternBytes(length: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + Math.floor(i / 251) + seed) & 0xff;
  return bytes;
}

/** How long a take may wait, and what to say when it gives up. */
export interface TakeLimit {
  ms: number;
  what: string;
  context?: () => string;
}
