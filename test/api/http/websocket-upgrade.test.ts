/**
 * A WebSocket handshake is accepted (101) only on a WebSocket route. Anywhere
 * else it gets an ordinary HTTP answer and the connection is never upgraded
 * (RFC 6455 §4.2.2: a resource with no such service answers with an HTTP error
 * such as 404). A plain GET on a WebSocket route says how to reach it (426).
 * The routing agrees with fastify's path by path; a malformed handshake is a
 * 400 problem, a reset never takes the daemon down, and closing the server
 * closes its WebSockets 1001. Over real TCP, with the `ws` client and with raw
 * bytes.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { WebSocketRoutes, websocketRequired } from '../../../src/api/http/websocket-upgrades.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { AUTH, TEST_TOKENS, useFakeApi, wsHandshake } from './api-rig.js';
import { fakeServices, onlinePrinter } from './fake-services.js';

const build = useFakeApi();

async function listening(): Promise<number> {
  const { api } = await build();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return (api.app.server.address() as { port: number }).port;
}

/** The first message a WebSocket receives, parsed. */
function firstMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (raw) => resolve(JSON.parse(String(raw)))));
}

/** The status line, the headers (lower-cased names) and the JSON body of a raw HTTP answer. */
function parsed(answer: string): {
  status: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
} {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [status = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status, headers, body: body ? (JSON.parse(body) as Record<string, unknown>) : {} };
}

/** Sends `request` as it is and reads until the server closes or `stopAt` shows up. */
function rawExchange(port: number, request: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => {});
    socket.write(request);
  });
}

/** The status of the answer to a handshake for `path`, sent as it is; the connection is dropped after. */
function upgradeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`no answer for ${path}: ${JSON.stringify(text)}`)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`);
  });
}

const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const UPGRADE_HEADERS = `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n${KEY}`;

/** Each path's handshake is answered 404, and no WebSocket opens. */
async function expectNoUpgrade(port: number, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    expect({
      path,
      ...(await wsHandshake(`ws://127.0.0.1:${port}${path}`, AUTH.monitor, { untilClosed: true })),
    }).toEqual({
      path,
      opened: false,
      status: 404,
    });
  }
}

describe('WebSocket upgrades', () => {
  it('answers 404 without upgrading on plain routes and unknown paths (ws client)', async () => {
    const port = await listening();
    await expectNoUpgrade(port, [
      '/healthz',
      '/readyz',
      '/api/v1/devices',
      '/api/v1/devices/receipt-1',
      '/metrics',
      '/docs',
      '/kiosk',
      '/nope',
    ]);
  });

  it('answers an upgrade on a plain route with a whole HTTP answer, never 101 (raw TCP)', async () => {
    const port = await listening();
    const answer = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).not.toContain('101 Switching Protocols');
    expect(answer).toMatch(/content-type: application\/problem\+json/i);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string; detail: string };
    expect(body.code).toBe('not_a_websocket');
    expect(body.detail).toContain('/api/v1/events');
  });

  it('answers a POST carrying an Upgrade header at once instead of waiting for a body it cannot read', async () => {
    const port = await listening();
    const body = JSON.stringify({ template: 'checkout', data: {} });
    const answer = await rawExchange(
      port,
      `POST /api/v1/printers/receipt-1/receipts HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('still upgrades the event WebSocket, and answers a plain GET on it 426 with Upgrade: websocket', async () => {
    const port = await listening();
    const events = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers: AUTH.monitor });
    const first = await new Promise<string>((resolve) =>
      events.once('message', (raw) => resolve(String(raw))),
    );
    expect(JSON.parse(first)).toMatchObject({ event: 'snapshot' });
    events.close();

    const plain = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: AUTH.monitor });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect(plain.headers.get('content-type')).toContain('application/problem+json');
    expect(((await plain.json()) as { code: string }).code).toBe('websocket_required');
  });

  it('routes a handshake by its path alone: the query string is not part of it, and a near miss is no WebSocket', async () => {
    const port = await listening();
    const filtered = new WebSocket(
      `ws://127.0.0.1:${port}/api/v1/events?devices=receipt-1&access_token=${TEST_TOKENS[2]!.token}`,
    );
    expect(await firstMessage(filtered)).toMatchObject({
      event: 'snapshot',
      data: { devices: [{ device: 'receipt-1' }] },
    });
    filtered.close();
    await expectNoUpgrade(port, [
      '/api/v1/events/',
      '//api/v1/events',
      '/api/v1/Events',
      '/api/v1/event',
      '/api/v1/events/more',
      '/api/v1/sessions/x/events/',
      '/api/v1/scanners/x/identifications/more',
      '/api/v1/scanners/identifications',
    ]);
  });

  it('upgrades a path exactly when fastify tells a plain GET there to upgrade (426)', async () => {
    const { api } = await build();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const paths = [
      '/api/v1/events',
      '/api/v1/events?',
      '/api/v1/events?a=b?c',
      '/api/v1/events/',
      '/api/v1/EVENTS',
      '/api/v1/%65vents',
      '/api/v1/events%3Fx',
      '/api/v1/events;x',
      '/api/v1/events#x',
      '//api/v1/events',
      '/api/v1/sessions//events',
      '/api/v1/sessions/%20/events',
      '/api/v1/sessions/a%2Fb/events',
      '/api/v1/sessions/../events',
      '/api/v1/sessions/x/events/',
      '/api/v1/payments/p-1/events',
      '/api/v1/scanners/x/identifications',
      '/api/v1/scanners/x/identifications/',
      '/api/v1/scanners/x/identifications?access_token=a',
      '/api/v1/devices/receipt-1',
      '*',
    ];
    for (const path of paths) {
      const plain = await api.app.inject({ url: path });
      const status = await upgradeStatus(port, path);
      expect({ path, upgraded: status === 101 }).toEqual({ path, upgraded: plain.statusCode === 426 });
    }
  });

  it('answers an upgrade by another method than GET with 404, on a WebSocket route too (raw TCP)', async () => {
    const port = await listening();
    for (const request of [
      'POST /api/v1/events HTTP/1.1',
      'PUT /api/v1/sessions/x/events HTTP/1.1',
      'DELETE /api/v1/scanners/x/identifications HTTP/1.1',
    ]) {
      const answer = parsed(await rawExchange(port, `${request}\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`));
      expect(answer.status, request).toMatch(/^HTTP\/1\.1 404 /);
      expect(answer.headers.connection, request).toBe('close');
      expect(answer.body.code, request).toBe('not_a_websocket');
    }
  });

  it('answers a malformed handshake on a WebSocket route with a 400 problem, never 101 (raw TCP)', async () => {
    const port = await listening();
    const cases = [
      {
        why: 'bad key',
        headers: 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n',
      },
      { why: 'no key', headers: 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' },
      { why: 'not websocket', headers: `Upgrade: h2c\r\nSec-WebSocket-Version: 13\r\n${KEY}` },
      { why: 'old version', headers: `Upgrade: websocket\r\nSec-WebSocket-Version: 12\r\n${KEY}` },
      { why: 'bad protocol', headers: `${UPGRADE_HEADERS}Sec-WebSocket-Protocol: a,,b\r\n` },
    ];
    for (const { why, headers } of cases) {
      const answer = parsed(
        await rawExchange(
          port,
          `GET /api/v1/events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${headers}\r\n`,
        ),
      );
      expect(answer.status, why).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer.headers['content-type'], why).toBe('application/problem+json');
      expect(answer.body.code, why).toBe('bad_websocket_handshake');
      if (why === 'old version') expect(answer.headers['sec-websocket-version']).toBe('13, 8');
    }
  });

  it('lives through clients that reset mid-request, mid-handshake or mid-answer', async () => {
    const port = await listening();
    const requests = [
      `GET /api/v1/events HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`,
      `GET /nope HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`,
      `GET /api/v1/events HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      `GET /api/v1/events HTTP/1.1\r\nHost: x\r\nConnection: Upgr`,
    ];
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        requests.map(
          (request) =>
            new Promise<void>((resolve) => {
              const socket = connect(port, '127.0.0.1', () => {
                socket.write(request);
                if (round % 2 === 0) socket.resetAndDestroy();
                else setImmediate(() => socket.resetAndDestroy());
              });
              socket.on('error', () => {});
              socket.on('close', () => resolve());
            }),
        ),
      );
    }
    const events = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers: AUTH.monitor });
    expect(await firstMessage(events)).toMatchObject({ event: 'snapshot' });
    events.close();
  });

  it('closes open WebSockets 1001 (going away) when the server closes, and closes promptly', async () => {
    const { api } = await build();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const events = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers: AUTH.monitor });
    await firstMessage(events);
    const closed = new Promise<number>((resolve) => events.once('close', (code) => resolve(code)));
    const started = performance.now();
    await api.app.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await closed).toBe(1001);
  });
});

describe('WebSocket routes registered anywhere', () => {
  let api: HttpApi | undefined;
  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });

  /** The desk's API plus a WebSocket route in a prefixed plugin that echoes what it was told of its handshake. */
  async function echoing(): Promise<number> {
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices([onlinePrinter('receipt-1')]).services,
      logger: silentLogger(),
      tokens: TEST_TOKENS,
      version: 'test',
      extend: (app) => {
        app.register(
          async (plugin) => {
            plugin.route({
              method: 'GET',
              url: '/echo/:id',
              handler: websocketRequired,
              websocket: (socket, request) => socket.send(JSON.stringify(request)),
            });
          },
          { prefix: '/test' },
        );
      },
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    return (api.app.server.address() as { port: number }).port;
  }

  it('hands the route its decoded parameters, its query and the headers, under the plugin prefix', async () => {
    const port = await echoing();
    const echo = new WebSocket(`ws://127.0.0.1:${port}/test/echo/a%20b%2Fc?x=1&x=2&y=&z=%C3%A5`, {
      headers: { 'x-probe': 'yes' },
    });
    expect(await firstMessage(echo)).toMatchObject({
      params: { id: 'a b/c' },
      query: { x: ['1', '2'], y: '', z: 'å' },
      headers: { 'x-probe': 'yes' },
    });
    echo.close();
    expect((await fetch(`http://127.0.0.1:${port}/test/echo/a`)).status).toBe(426);
    const notFound = parsed(
      await rawExchange(port, `GET /echo/a HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`),
    );
    expect(notFound.body).toMatchObject({ code: 'not_a_websocket' });
    expect(notFound.body.detail).toContain('/test/echo/:id');
  });

  it('answers a parameter fastify would not route as fastify answers it (400, 414)', async () => {
    const port = await echoing();
    const badEncoding = parsed(
      await rawExchange(port, `GET /test/echo/%E0%A4%A HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`),
    );
    expect(badEncoding.body).toMatchObject({ status: 400, code: 'invalid_request' });
    const tooLong = parsed(
      await rawExchange(
        port,
        `GET /test/echo/${'a'.repeat(101)} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`,
      ),
    );
    expect(tooLong.body).toMatchObject({ status: 414, code: 'uri_too_long' });
  });
});

describe('WebSocketRoutes', () => {
  const handler = () => {};
  const routes = new WebSocketRoutes();
  routes.add('/api/v1/events', handler);
  routes.add('/api/v1/sessions/:id/events', handler);
  routes.add('/a/:x/:y', handler);

  it('matches literal segments exactly and a parameter to one segment, as fastify does', () => {
    expect(routes.match('/api/v1/events')).toMatchObject({ route: { url: '/api/v1/events' }, params: {} });
    expect(routes.match('/api/v1/sessions/s-1/events')).toMatchObject({ params: { id: 's-1' } });
    expect(routes.match('/a/1/2')).toMatchObject({ params: { x: '1', y: '2' } });
    expect(routes.match('/api/v1/sessions//events')).toMatchObject({ params: { id: '' } });
    expect(routes.match('/api/v1/sessions/a%2Fb/events?x=/1')).toMatchObject({
      params: { id: 'a/b' },
      query: 'x=/1',
    });
    expect(routes.match('/api/v1/%65vents#x')).toMatchObject({
      route: { url: '/api/v1/events' },
      query: 'x',
    });
    for (const path of [
      '',
      'api/v1/events',
      '/api/v1/events/',
      '/api/v1/sessions/x/y/events',
      '/a/1',
      '/a/1/2/3',
    ])
      expect(routes.match(path), path).toBeUndefined();
  });

  it('refuses a route added twice and patterns it cannot match', () => {
    expect(() => routes.add('/api/v1/events', handler)).toThrow(/twice/);
    for (const url of ['/files/*', '/a/:id(\\d+)', '/a/x-:id', 'relative'])
      expect(() => routes.add(url, handler)).toThrow();
  });
});

describe('WebSockets whose peer is gone', () => {
  let api: HttpApi | undefined;
  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });

  it('drops a socket that stops answering pings (a kiosk without power) and keeps one that answers', async () => {
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices([onlinePrinter('receipt-1')]).services,
      logger: silentLogger(),
      tokens: TEST_TOKENS,
      version: 'test',
      webSocketPingMs: 100,
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `ws://127.0.0.1:${(api.app.server.address() as { port: number }).port}/api/v1/events`;
    const open = (options: { autoPong?: boolean }) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(url, { headers: AUTH.monitor, ...options });
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    const alive = await open({});
    // The `ws` client with autoPong off is a peer whose TCP is up and whose program hears nothing.
    const gone = await open({ autoPong: false });
    const openedAt = performance.now();
    // Bounded: a socket never dropped fails here, not at the test's timeout.
    const goneClosed = new Promise<number>((resolve) => {
      gone.once('close', () => resolve(performance.now()));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 3_000);
    });
    let aliveClosed = false;
    alive.once('close', () => {
      aliveClosed = true;
    });
    // Pinged at the next tick, dropped at the one after: within two intervals and a bit.
    expect((await goneClosed) - openedAt).toBeLessThan(1_000);
    gone.terminate();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(aliveClosed).toBe(false);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    alive.close();
  });
});
