/** A test's end of an ESC/POS link: writes bytes and awaits exactly the replies it expects. */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export class ReplyReader {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;

  constructor(stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
  }

  /** Resolves with the next `count` bytes the printer sent. */
  async take(count: number): Promise<Buffer> {
    while (this.buffer.length < count) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
    const taken = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return Buffer.from(taken);
  }

  get buffered(): number {
    return this.buffer.length;
  }
}

export async function connectPrinter(port: number): Promise<{ socket: Socket; replies: ReplyReader }> {
  const socket = connect({ host: '127.0.0.1', port });
  const replies = new ReplyReader(socket);
  await once(socket, 'connect');
  return { socket, replies };
}
