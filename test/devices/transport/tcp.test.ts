import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { ByteCollector } from '../../helpers/byte-collector.js';
import { type FarEnd, transportContract } from './contract.js';

/** A loopback server whose accepted connections a test picks up one by one. */
async function listen() {
  const sockets: net.Socket[] = [];
  const waiting: Array<(socket: net.Socket) => void> = [];
  const server = net.createServer((socket) => {
    const next = waiting.shift();
    if (next) next(socket);
    else sockets.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = () =>
    new Promise<net.Socket>((resolve) => {
      const socket = sockets.shift();
      if (socket) resolve(socket);
      else waiting.push(resolve);
    });
  const close = async () => {
    await new Promise((resolve) => server.close(resolve));
  };
  return { server, port, accepted, close };
}

/** A port on 127.0.0.1 where nothing listens: bound, then released. */
async function deadPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

transportContract('TcpTransport', async () => {
  const server = await listen();
  const peers: net.Socket[] = [];
  let current: net.Socket | undefined;
  const closedPort = await deadPort();
  return {
    transport: new TcpTransport({ host: '127.0.0.1', port: server.port }),
    async connected(): Promise<FarEnd> {
      const socket = await server.accepted();
      peers.push(socket);
      current = socket;
      const written = new ByteCollector();
      socket.on('data', written.push);
      socket.on('error', () => {});
      return {
        send: (bytes) =>
          new Promise((resolve, reject) =>
            socket.write(bytes, (error) => (error ? reject(error) : resolve())),
          ),
        take: (length, within) => written.take(length, within),
      };
    },
    drop: async () => {
      current?.resetAndDestroy();
    },
    unreachable: () => new TcpTransport({ host: '127.0.0.1', port: closedPort }),
    cleanup: async () => {
      for (const peer of peers) peer.destroy();
      await server.close();
    },
  };
});

describe('TcpTransport', () => {
  it('times the connect on the injected clock and cancels the timer once connected', async () => {
    const server = await listen();
    const clock = new ManualClock();
    const transport = new TcpTransport({ host: '127.0.0.1', port: server.port, clock });
    try {
      const opening = transport.open();
      expect(clock.pending()).toEqual([`tcp-connect 127.0.0.1:${server.port}`]);
      await opening;
      expect(clock.pending()).toEqual([]);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it("gives up with 'connect_timeout' when the clock runs out first", async () => {
    // The manual clock fires the timeout in microtasks, before the event loop can
    // complete the loopback connect: the timeout path runs without any waiting.
    const server = await listen();
    const clock = new ManualClock();
    const transport = new TcpTransport({ host: '127.0.0.1', port: server.port, clock, connectTimeoutMs: 50 });
    const opening = transport.open();
    await clock.advance(50);
    await expect(opening).rejects.toMatchObject({ code: 'connect_timeout' });
    expect(transport.isOpen).toBe(false);
    await server.close();
  });

  it('ends a close within 2 s on its clock when the socket never says it closed, and opens again after it', async () => {
    const server = await listen();
    const clock = new ManualClock();
    // A socket whose 'close' never comes (its handle stuck in the kernel): held back here.
    class SilentClose extends TcpTransport {
      protected override async connectSocket() {
        const made = await super.connectSocket();
        const emit = made.socket.emit.bind(made.socket);
        made.socket.emit = (event: string | symbol, ...args: unknown[]) =>
          event === 'close' ? false : emit(event, ...args);
        return made;
      }
    }
    const transport = new SilentClose({ host: '127.0.0.1', port: server.port, clock });
    try {
      await transport.open();
      let closed = false;
      const closing = transport.close().then(() => {
        closed = true;
      });
      const reopening = transport.open();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      await clock.advance(2000);
      await closing;
      await reopening;
      expect(transport.isOpen).toBe(true);
    } finally {
      const last = transport.close();
      await clock.advance(2000);
      await last;
      await server.close();
    }
  });
});
