/**
 * One HTTP request (http-request.ts, Koha's REST API for print accounts) against a real TCP server
 * that reads the request and never answers: its timeout runs on the desk's clock, as every other
 * timer does, so a test moves it by hand and a desk's fake clock is not outrun by the wall's.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { HttpRequestError, httpRequest } from '../../../src/devices/transport/http-request.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that takes the connection and the request, and says nothing. */
async function silentServer() {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => requests++);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/patrons`),
    requests: () => requests,
    open: () => sockets.size,
  };
}

describe('an HTTP request the server never answers', () => {
  it('times out on the desk’s clock: not while that clock stands still, at once when it reaches the timeout', async () => {
    const server = await silentServer();
    const clock = new ManualClock();
    let settled: unknown;
    const answer = httpRequest(server.url, { method: 'GET', headers: {}, timeoutMs: 100, clock }).then(
      (value) => {
        settled = value;
      },
      (error: unknown) => {
        settled = error;
      },
    );
    // Three times the timeout on the wall: the desk's clock has not moved, so the request still waits.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.requests()).toBe(1);
    expect(settled).toBeUndefined();
    await clock.advance(99);
    expect(settled).toBeUndefined();
    await clock.advance(1);
    await answer;
    expect(settled).toBeInstanceOf(HttpRequestError);
    expect(settled).toMatchObject({ code: 'timeout', message: 'no answer within 100 ms' });
    // Its connection is closed, not left open to the server.
    await expect.poll(() => server.open()).toBe(0);
  });
});
