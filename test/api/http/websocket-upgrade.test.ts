/**
 * A WebSocket handshake is accepted (101) only on a WebSocket route. Anywhere
 * else it gets an ordinary HTTP answer and the connection is never upgraded
 * (RFC 6455 §4.2.2: a resource with no such service answers with an HTTP error
 * such as 404). A plain GET on a WebSocket route says how to reach it (426).
 * Over real TCP, with the `ws` client and with raw bytes.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AUTH, useFakeApi } from './api-rig.js';

const build = useFakeApi();

async function listening(): Promise<number> {
  const { api } = await build();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return (api.app.server.address() as { port: number }).port;
}

/** What the `ws` client saw: opened (101), or the HTTP status it got instead. */
function handshake(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ opened: boolean; status?: number; closeCode?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode });
      response.resume();
      ws.terminate();
    });
    ws.on('open', () => ws.once('close', (code) => resolve({ opened: true, closeCode: code })));
    ws.on('error', () => {});
  });
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

const UPGRADE_HEADERS =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

describe('WebSocket upgrades', () => {
  it('answers 404 without upgrading on plain routes and unknown paths (ws client)', async () => {
    const port = await listening();
    for (const path of [
      '/healthz',
      '/readyz',
      '/api/v1/devices',
      '/api/v1/devices/receipt-1',
      '/metrics',
      '/docs',
      '/kiosk',
      '/nope',
    ]) {
      expect({ path, ...(await handshake(`ws://127.0.0.1:${port}${path}`, AUTH.monitor)) }).toEqual({
        path,
        opened: false,
        status: 404,
      });
    }
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
});
