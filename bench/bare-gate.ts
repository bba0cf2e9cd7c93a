/**
 * The floor under a gate alarm's latency, in a process of its own: a TCP listener that
 * takes FEIG notification frames, decodes each (frame parser, notification decoder, the
 * item tag's memory) and sends one JSON alarm per tag record on a bare WebSocket server, encoded
 * once (UTF-8) and those bytes sent to every client as a text frame — nothing else: no policy, no
 * bus, no history, no subscription filter.
 *
 * `node bare-gate.js` prints `gate tcp://127.0.0.1:<port> ws://127.0.0.1:<port>`.
 */
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';
import { decodeNotification, FeigFrameParser } from '../src/protocols/feig/index.js';
import { decodeItemTag } from '../src/protocols/rfid/index.js';

const sockets = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((resolve) => sockets.once('listening', resolve));

const frames = createServer((link) => {
  link.setNoDelay(true);
  const parser = new FeigFrameParser({ maxFrame: 8192 });
  link.on('data', (chunk: Buffer) => {
    for (const item of parser.push(chunk)) {
      if (!item.ok) continue;
      for (const record of decodeNotification(item.frame.data).records) {
        const tag = record.blocks ? decodeItemTag(record.blocks.memory) : undefined;
        const message = Buffer.from(
          JSON.stringify({
            event: 'device.event',
            data: {
              deviceId: 'gate-1',
              type: 'gate.alarm',
              at: new Date().toISOString(),
              data: { uid: record.uid, item: tag && 'primaryItemId' in tag ? tag.primaryItemId : null },
            },
          }),
        );
        for (const client of sockets.clients) client.send(message, { binary: false });
      }
    }
  });
  link.on('error', () => {});
});
await new Promise<void>((resolve) => frames.listen(0, '127.0.0.1', resolve));
const tcp = frames.address() as { port: number };
const ws = sockets.address() as { port: number };
console.log(`gate tcp://127.0.0.1:${tcp.port} ws://127.0.0.1:${ws.port}`);
process.once('SIGTERM', () => process.exit(0));
