import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 between a client and a broker. `cut()` destroys every
 * relayed connection at once, so the broker sees the client vanish without a
 * DISCONNECT (as when the gateway's process is killed) and publishes its last will.
 */
export interface TcpRelay {
  url: string;
  /** Destroys every relayed connection; with `refuseNew`, new ones too until `heal()`. */
  cut(options?: { refuseNew?: boolean }): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) {
      inbound.destroy();
      return;
    }
    const outbound = tcpConnect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('relay has no port');
  const cut = (options: { refuseNew?: boolean } = {}) => {
    refusing = options.refuseNew ?? false;
    for (const [inbound, outbound] of pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    pairs.clear();
  };
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    cut,
    heal() {
      refusing = false;
    },
    async close() {
      cut({ refuseNew: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
