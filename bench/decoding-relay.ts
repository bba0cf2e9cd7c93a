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
import type { Socket } from 'node:net';
import { decodeSip2Message, Sip2Framer } from '../src/protocols/sip2/index.js';
import { type PipeRelay, startTcpRelay } from './pipe-relay.js';

export interface DecodingRelay extends PipeRelay {
  /** Frames, either way, that did not decode (a bad checksum included). */
  readonly unreadable: number;
}

export async function startDecodingRelay(target: number): Promise<DecodingRelay> {
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
  const relay = await startTcpRelay(target, (client, upstream) => {
    carry(client, upstream);
    carry(upstream, client);
  });
  return {
    port: relay.port,
    get unreadable() {
      return unreadable;
    },
    close: () => relay.close(),
  };
}
