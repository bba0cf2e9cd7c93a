import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { browserGuard, browserRefusal } from '../../../src/api/http/browser-guard.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { AUTH, TEST_TOKENS, useFakeApi, wsHandshake } from './api-rig.js';

/**
 * A tokenless API is served to this machine's own clients and pages only: a web page the desk's
 * browser shows must not reach it by DNS rebinding (a foreign Host) or by opening a WebSocket (a
 * foreign Origin). Over real TCP, since fastify's inject never passes the HTTP server.
 */
const tokenless = useFakeApi([]);
const withTokens = useFakeApi(TEST_TOKENS);

async function listening(build: typeof tokenless) {
  const fake = await build();
  await fake.api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = fake.api.app.server.address() as { port: number };
  let checkouts = 0;
  const checkout = fake.services.circulation.checkout.bind(fake.services.circulation);
  fake.services.circulation.checkout = (request) => {
    checkouts++;
    return checkout(request);
  };
  return { port, checkouts: () => checkouts };
}

/** A checkout over node:http (fetch will not send a Host of the caller's choosing). */
function checkout(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | undefined; body: Record<string, unknown> }> {
  const body = JSON.stringify({ patron: 'P1', pin: '1234', item: 'I1' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/checkouts',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('browserRefusal', () => {
  it('lets through requests addressed to a loopback name, with or without a port', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.1:8480',
      '127.1.2.3:80',
      'localhost',
      'LOCALHOST:8480',
      '[::1]',
      '[::1]:8480',
    ]) {
      expect(browserRefusal({ host }), host).toBeUndefined();
    }
    expect(browserRefusal({}), 'no Host (HTTP/1.0)').toBeUndefined();
  });

  it('refuses any other name, however close to a loopback one it looks', () => {
    for (const host of [
      'evil.example',
      'evil.example:8480',
      '127.0.0.1.evil.example',
      'localhost.evil.example:8480',
      '10.0.0.5:8480',
      '[::2]:8480',
      '0.0.0.0',
      '',
    ]) {
      expect(browserRefusal({ host })?.code, host).toBe('host_not_allowed');
    }
  });

  it('lets through pages on this machine and clients that are no page; refuses every other page', () => {
    for (const origin of ['http://127.0.0.1:8480', 'http://localhost:5173', 'https://[::1]', 'file://']) {
      expect(browserRefusal({ host: '127.0.0.1', origin }), origin).toBeUndefined();
    }
    for (const origin of [
      'http://evil.example',
      'https://127.0.0.1.evil.example',
      'null',
      'chrome-extension://abc',
      'ws://127.0.0.1',
      'not a url',
      '',
    ]) {
      expect(browserRefusal({ host: '127.0.0.1', origin })?.code, origin).toBe('origin_not_allowed');
    }
  });
});

describe('browserGuard', () => {
  it('warns IT of refusals at most once a minute, counting the rest, and quotes little of the page’s text', async () => {
    const lines = new PassThrough();
    const warnings: Array<Record<string, unknown>> = [];
    lines.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) warnings.push(JSON.parse(line));
    });
    const clock = new ManualClock();
    const guard = browserGuard(
      new Set(),
      createLogger({ level: 'info', format: 'json', destination: lines }),
      { clock },
    );
    const rebinding = { host: `${'x'.repeat(300)}.evil.example` };
    expect(guard(rebinding)?.code).toBe('host_not_allowed');
    expect(guard({ host: '127.0.0.1', origin: 'https://evil.example' })?.code).toBe('origin_not_allowed');
    expect(guard(rebinding)?.code).toBe('host_not_allowed');
    expect(guard({ host: 'localhost' })).toBeUndefined();
    await clock.advance(60_000);
    expect(guard({ host: '127.0.0.1', origin: 'https://evil.example' })?.code).toBe('origin_not_allowed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => [w.code, w.host ?? w.origin, w.alsoRefusedSinceLastWarning])).toEqual([
      ['host_not_allowed', 'x'.repeat(100), undefined],
      ['origin_not_allowed', 'https://evil.example', 2],
    ]);
  });
});

describe('a tokenless API and the browser on the desk machine', () => {
  it('refuses a rebinding page (foreign Host) and a foreign page (Origin) before any route runs', async () => {
    const { port, checkouts } = await listening(tokenless);
    const refused = await checkout(port, { host: 'evil.example:8480' });
    expect(refused.status).toBe(403);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'host_not_allowed', status: 403 });
    const foreign = await checkout(port, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ code: 'origin_not_allowed' });
    expect(checkouts()).toBe(0);
    // The desk's own pages and clients are served as before.
    expect((await checkout(port, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    expect((await checkout(port, {})).status).toBe(200);
    expect(checkouts()).toBe(2);
    const devices = await fetch(`http://127.0.0.1:${port}/api/v1/devices`, {
      headers: { host: 'localhost' },
    });
    expect(devices.status).toBe(200);
    // Answered before fastify, so in no request duration: counted for Prometheus on their own.
    await checkout(port, { host: 'evil.example' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('carrel_http_refused_total{reason="host_not_allowed"} 2');
    expect(metrics).toContain('carrel_http_refused_total{reason="origin_not_allowed"} 1');
  });

  it('refuses a WebSocket to a foreign page, opens one to a page of its own', async () => {
    const { port } = await listening(tokenless);
    const events = `ws://127.0.0.1:${port}/api/v1/events`;
    expect(await wsHandshake(events, { origin: 'https://evil.example' })).toEqual({
      opened: false,
      status: 403,
    });
    expect(await wsHandshake(events, { host: 'evil.example' })).toEqual({ opened: false, status: 403 });
    expect(await wsHandshake(events, { origin: `http://localhost:${port}` })).toEqual({ opened: true });
    expect(await wsHandshake(events, {})).toEqual({ opened: true });
  });

  it('with tokens leaves Host and Origin to the token: a page served elsewhere uses its own', async () => {
    const { port, checkouts } = await listening(withTokens);
    const remote = { host: 'desk-1.library.example:8480', origin: 'https://selfcheck.library.example' };
    expect((await checkout(port, remote)).status).toBe(401);
    expect((await checkout(port, { ...remote, ...AUTH.kiosk })).status).toBe(200);
    expect(checkouts()).toBe(1);
    const token = TEST_TOKENS[0]!.token;
    expect(await wsHandshake(`ws://127.0.0.1:${port}/api/v1/events?access_token=${token}`, remote)).toEqual({
      opened: true,
    });
  });
});
