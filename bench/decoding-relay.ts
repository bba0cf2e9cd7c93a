/**
 * A SIP2 relay that reads SIP2 and does nothing else: every connection it
 * accepts gets one upstream connection to the target port on 127.0.0.1, and
 * each read, either way, is cut into frames by the codec's framer and every
 * frame decoded (checksum checked) before the bytes are passed on as they came.
 * The relay benchmark runs it beside the bare TCP relay (pipe-relay.ts) to
 * split Carrel's relay's cost in two: what reading SIP2 at all costs — which a
 * relay that answers logins, counts transactions, renumbers sequences and
 * answers offline cannot do without — and what Carrel's own layers add to it.
 * Nothing is renumbered, answered or counted here; a frame that does not decode
 * is counted in `unreadable` and passed on all the same.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { decodeSip2Message, Sip2Framer } from '../src/protocols/sip2/index.js';

export interface DecodingRelay {
  readonly port: number;
  /** Frames, either way, that did not decode (a bad checksum included). */
  readonly unreadable: number;
  close(): Promise<void>;
}

export async function startDecodingRelay(target: number): Promise<DecodingRelay> {
  const sockets = new Set<Socket>();
  let unreadable = 0;
  /** `from`'s bytes to `to`, each frame decoded on the way; `from` paused while `to` is full. */
  const carry = (from: Socket, to: Socket) => {
    const framer = new Sip2Framer();
    from.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const decoded = decodeSip2Message(event.frame);
        if (!decoded.ok || decoded.checksum === 'invalid') unreadable++;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  };
  const server = createServer((client: Socket) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: target });
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    carry(client, upstream);
    carry(upstream, client);
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
    get unreadable() {
      return unreadable;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
