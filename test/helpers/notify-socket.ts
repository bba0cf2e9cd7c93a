import { createRequire } from 'node:module';

interface UnixDgramServer {
  on(event: 'message', listener: (message: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): UnixDgramServer;
};

/** A stand-in for systemd's notify socket: a datagram socket bound to a temporary path. */
export class FakeNotifySocket {
  private readonly received: string[] = [];
  private waiter: (() => void) | undefined;
  private readonly server = unixDgram.createSocket('unix_dgram');

  constructor(readonly path: string) {
    this.server.on('message', (message) => {
      this.received.push(message.toString('utf8'));
      this.waiter?.();
    });
    this.server.bind(path);
  }

  /** The next message, in the order sent. */
  async next(): Promise<string> {
    while (this.received.length === 0) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
    return this.received.shift()!;
  }

  close(): void {
    this.server.close();
  }
}
