/**
 * IPP over HTTP (ipp-http.ts, the print queues' link to CUPS) against a real TCP server that answers
 * as slowly as told. Its timeout runs on the desk's clock, as every other timer does: the wait for
 * the answer to begin is bounded as a whole (a server trickling its status line does not stretch
 * it), and once the answer comes, each pause in it is (a job's document, up to hundreds of MB, may
 * take longer than the timeout to arrive, but not stall for it).
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { TimeoutError } from '../../../src/core/errors.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A print server that takes the connection and the request, and writes only what the test says. */
async function slowServer() {
  const sockets = new Set<Socket>();
  let requests = 0;
  let connected: (socket: Socket) => void = () => {};
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      requests++;
      connected(socket);
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const requested = new Promise<Socket>((resolve) => {
    connected = resolve;
  });
  return {
    url: `ipp://127.0.0.1:${(server.address() as AddressInfo).port}/printers/public-bw`,
    requested,
    requests: () => requests,
    open: () => sockets.size,
  };
}

/** The exchange, and what it settled with so far (undefined while it waits). */
function exchange(transport: IppHttpTransport) {
  const outcome: { value?: Buffer; error?: unknown; settled: boolean } = { settled: false };
  const done = transport.exchange(Uint8Array.from([2, 0, 0, 11, 0, 0, 0, 1, 3])).then(
    (value) => Object.assign(outcome, { value, settled: true }),
    (error: unknown) => Object.assign(outcome, { error, settled: true }),
  );
  return { outcome, done };
}

const wall = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function transportAt(url: string, clock: ManualClock): IppHttpTransport {
  const transport = new IppHttpTransport({ url, timeoutMs: 100, clock });
  cleanups.push(() => transport.close());
  return transport;
}

describe('an IPP exchange with a print server that is slow to answer', () => {
  it('times out on the desk’s clock: not while that clock stands still, at once when it reaches the timeout', async () => {
    const server = await slowServer();
    const clock = new ManualClock();
    const { outcome, done } = exchange(transportAt(server.url, clock));
    await server.requested;
    // Three times the timeout on the wall: the desk's clock has not moved, so the exchange still waits.
    await wall(300);
    expect(outcome.settled).toBe(false);
    await clock.advance(99);
    expect(outcome.settled).toBe(false);
    await clock.advance(1);
    await done;
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(outcome.error).toMatchObject({
      message: `${server.url} did not answer within 100 ms`,
    });
    // Its connection is closed, not left open to the server.
    await expect.poll(() => server.open()).toBe(0);
  });

  it('bounds the wait for the answer as a whole: a status line trickled a byte at a time does not stretch it', async () => {
    const server = await slowServer();
    const clock = new ManualClock();
    const { outcome, done } = exchange(transportAt(server.url, clock));
    const socket = await server.requested;
    // A byte every 30 ms of the desk's clock: never a pause of 100, but 120 ms in all with no answer.
    for (const byte of 'HTTP') {
      socket.write(byte);
      await wall(10);
      await clock.advance(30);
    }
    await wall(20);
    expect(outcome.settled).toBe(true);
    await done;
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(outcome.error).toMatchObject({ message: expect.stringMatching(/did not answer within 100 ms$/) });
    expect(server.requests()).toBe(1);
  });

  it('takes an answer that streams longer than the timeout without a pause, and times out one that stalls', async () => {
    const server = await slowServer();
    const clock = new ManualClock();
    const transport = transportAt(server.url, clock);
    const chunks = 8;
    const chunk = Buffer.alloc(1000, 0x2a);
    const streamed = exchange(transport);
    let socket = await server.requested;
    socket.write(
      `HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: ${chunks * chunk.length}\r\n\r\n`,
    );
    // Eight pauses of 60 ms: 480 ms of the desk's clock in all, past the timeout, never 100 at once.
    for (let i = 0; i < chunks; i++) {
      await wall(10);
      await clock.advance(60);
      expect(streamed.outcome.settled).toBe(false);
      socket.write(chunk);
    }
    await streamed.done;
    expect(streamed.outcome.error).toBeUndefined();
    expect(streamed.outcome.value).toHaveLength(chunks * chunk.length);

    // The next answer stops halfway: once the clock has seen 100 ms of nothing, it is given up.
    const next = await slowServer();
    const stalled = exchange(transportAt(next.url, clock));
    socket = await next.requested;
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: 2000\r\n\r\n`);
    socket.write(chunk);
    await wall(50);
    await clock.advance(99);
    expect(stalled.outcome.settled).toBe(false);
    await clock.advance(1);
    await stalled.done;
    expect(stalled.outcome.error).toBeInstanceOf(TimeoutError);
    expect(stalled.outcome.error).toMatchObject({
      message: expect.stringMatching(/sent nothing more of its answer for 100 ms$/),
    });
    await expect.poll(() => next.open()).toBe(0);
  });
});
