/**
 * A TCP relay that does nothing else: every connection it accepts is piped,
 * byte for byte, to the target port on 127.0.0.1, and back, one upstream
 * connection per client. The floor any SIP2 relay pays: two more socket writes
 * and reads per round trip. bare-relay.ts runs it in a process of its own; the
 * relay benchmark runs it in the benchmark's process, beside Carrel's relay, so both
 * share one event loop with the simulator and the self-checks. `startTcpRelay`
 * is the same relay with the carrying of bytes left to its caller
 * (decoding-relay.ts).
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface PipeRelay {
  readonly port: number;
  close(): Promise<void>;
}

export function startPipeRelay(target: number): Promise<PipeRelay> {
  return startTcpRelay(target, (client, upstream) => {
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

/**
 * A relay whose every accepted connection gets its own upstream connection to
 * `target`; `carry` moves the bytes between the two. Either side's error or
 * close closes the other.
 */
export async function startTcpRelay(
  target: number,
  carry: (client: Socket, upstream: Socket) => void,
): Promise<PipeRelay> {
  const sockets = new Set<Socket>();
  const server = createServer((client: Socket) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: target });
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    carry(client, upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
