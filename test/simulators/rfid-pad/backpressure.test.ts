/**
 * Backpressure, measured rather than timed: a client that pipelines inventory
 * requests over TCP and reads no replies makes the simulated pad's FEIG side
 * stop reading (its socket's bytes read stop growing, far below what was sent);
 * once the client reads, every request is answered.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveFeig } from '../../../simulators/rfid-pad/feig-session.js';
import { PadField } from '../../../simulators/rfid-pad/index.js';
import { encodeFeigFrame, encodeIsoRequest } from '../../../src/protocols/feig/index.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Resolves with `read()` once it has not grown for `quietChecks` checks in a row. */
async function settled(read: () => number, quietChecks = 10, ms = 20_000): Promise<number> {
  const deadline = performance.now() + ms;
  let last = -1;
  let quiet = 0;
  while (quiet < quietChecks) {
    if (performance.now() > deadline) throw new Error('never stopped reading');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const value = read();
    if (value === last) quiet++;
    else {
      quiet = 0;
      last = value;
    }
  }
  return last;
}

describe('rfid pad simulator backpressure', () => {
  it('stops reading a FEIG client that does not read its replies, then answers every request', {
    timeout: 60_000,
  }, async () => {
    // Twenty-four tags: each inventory reply (249 bytes) is many times its request (9).
    const pad = new PadField();
    for (let i = 0; i < 24; i++) pad.place({ preset: 'V1' });
    let served: Socket | undefined;
    server = createServer((socket) => {
      served = socket;
      sockets.push(socket);
      socket.on('error', () => {});
      serveFeig(socket, pad);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const socket = connect({
      host: '127.0.0.1',
      port: typeof address === 'object' && address ? address.port : 0,
    });
    socket.on('error', () => {});
    sockets.push(socket);
    await once(socket, 'connect');
    socket.pause();
    const request = Buffer.from(
      encodeFeigFrame({ address: 0xff, ...encodeIsoRequest({ kind: 'inventory', more: false }) }),
    );
    const requests = 80_000;
    const pipeline = Buffer.concat(Array.from({ length: requests }, () => request));
    socket.write(pipeline);
    const read = await settled(() => served?.bytesRead ?? -1);
    expect(read).toBeLessThan(pipeline.length);
    expect(served?.isPaused()).toBe(true);

    // The client reads: one reply per request.
    let replies = 0;
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      // FEIG frames: STX, a 16-bit length, then the rest.
      while (pending.length >= 3 && pending.length >= pending.readUInt16BE(1)) {
        pending = pending.subarray(pending.readUInt16BE(1));
        replies++;
      }
    });
    socket.resume();
    const deadline = performance.now() + 50_000;
    while (replies < requests) {
      if (performance.now() > deadline) throw new Error(`only ${replies} of ${requests} answered`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(replies).toBe(requests);
    socket.destroy();
  });
});
