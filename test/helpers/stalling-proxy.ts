/**
 * A TCP proxy in front of a device simulator that can stop answering the way a
 * hung device does (a process stopped with SIGSTOP, a reader whose firmware
 * locked up): its connections stay open, new ones are still accepted, and bytes
 * sent meanwhile wait in the socket buffers. `resume()` lets everything flow
 * again, held bytes first, as SIGCONT would. `cut()` drops the connections open
 * now, as a cable pulled out does: both ends see their link closed.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  device: Socket | undefined;
}

export class StallingProxy {
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  /** Connections accepted so far (a client reusing its connection adds none). */
  accepted = 0;
  /** Chunks of bytes clients sent so far (each request one or two). */
  sentChunks = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: { host: string; port: number } | undefined,
  ) {}

  /**
   * A proxy to the device on `targetPort`; without one, a proxy whose connections wait, as while
   * stalled, until `pointAt` names the device (one that takes a port of the system's choosing as it
   * starts, after whoever dials it through the proxy was told where the proxy is).
   */
  static async start(targetPort?: number, targetHost = '127.0.0.1'): Promise<StallingProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const target = targetPort === undefined ? undefined : { host: targetHost, port: targetPort };
    const proxy = new StallingProxy(server, port, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** Names the device of a proxy started without one; connections waiting for it reach it now. */
  pointAt(targetPort: number, targetHost = '127.0.0.1'): void {
    this.target = { host: targetHost, port: targetPort };
    if (!this.stalled) this.resume();
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Stops passing bytes either way; nothing is closed. */
  stall(): void {
    this.stalled = true;
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.device?.pause();
    }
  }

  /**
   * Closes every connection open now, at both ends (a cable pulled out, a switch port gone).
   * Stalled first, the ones dialled next wait until `resume()`, as while the cable is out.
   */
  cut(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.device?.destroy();
    }
  }

  /** Passes bytes again, those held first; connections accepted meanwhile reach the device now. */
  resume(): void {
    this.stalled = false;
    if (!this.target) return;
    for (const pair of this.pairs) {
      if (!pair.device) this.connect(pair);
      pair.client.resume();
      pair.device?.resume();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.device?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const pair: Pair = { client, device: undefined };
    this.pairs.add(pair);
    this.accepted++;
    client.on('data', () => {
      this.sentChunks++;
    });
    client.setNoDelay(true);
    client.on('error', () => {});
    client.on('close', () => {
      pair.device?.destroy();
      this.pairs.delete(pair);
    });
    client.pause();
    if (!this.stalled && this.target) {
      this.connect(pair);
      client.resume();
    }
  }

  private connect(pair: Pair): void {
    const device = createConnection(this.target!);
    pair.device = device;
    device.setNoDelay(true);
    device.on('error', () => {});
    device.on('close', () => pair.client.destroy());
    pair.client.on('data', (chunk) => device.write(chunk));
    device.on('data', (chunk) => pair.client.write(chunk));
  }
}
