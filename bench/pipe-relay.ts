/**
 * A TCP relay that does nothing else: every connection it accepts is piped,
 * byte for byte, to the target port on 127.0.0.1, and back, one upstream
 * connection per client. The floor any SIP2 relay pays: two more socket writes
 * and reads per round trip. bare-relay.ts runs it in a process of its own; the
 * relay benchmark runs it in the benchmark's process, beside Carrel's relay, so both
 * share one event loop with the simulator and the self-checks.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface PipeRelay {
  readonly port: number;
  close(): Promise<void>;
}

export async function startPipeRelay(target: number): Promise<PipeRelay> {
  const sockets = new Set<Socket>();
  const server = createServer((client: Socket) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: target });
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
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
