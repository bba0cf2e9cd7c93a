import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the desk and an ILS simulator that writes down every SIP2 message the desk
 * sends, so a test counts what the library system was asked (a checkout's 11, a renewal's 29).
 */
export class SipRecorder {
  /** Every message the desk sent, in order, without its terminator. */
  readonly sent: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: number): Promise<SipRecorder> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const recorder = new SipRecorder(server, (server.address() as { port: number }).port);
    server.on('connection', (desk) => {
      const ils = createConnection(target, '127.0.0.1');
      recorder.sockets.add(desk).add(ils);
      let pending = '';
      desk.on('data', (bytes: Buffer) => {
        pending += bytes.toString('latin1');
        const frames = pending.split('\r');
        pending = frames.pop() ?? '';
        for (const frame of frames) if (frame.replace(/^\n/, '') !== '') recorder.sent.push(frame.trim());
        ils.write(bytes);
      });
      ils.on('data', (bytes: Buffer) => desk.write(bytes));
      for (const socket of [desk, ils]) {
        socket.on('error', () => {});
        socket.on('close', () => {
          desk.destroy();
          ils.destroy();
        });
      }
    });
    return recorder;
  }

  /** How many messages with this code the desk has sent since `from` (an index into `sent`). */
  count(code: string, from = 0): number {
    return this.sent.slice(from).filter((frame) => frame.startsWith(code)).length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
