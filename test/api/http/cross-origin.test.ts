import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { AUTH, TEST_TOKENS, useFakeApi, wsHandshake } from './api-rig.js';
import { fakeServices } from './fake-services.js';

/**
 * A kiosk page served from another origin than Carrel's calls the API from a browser only when
 * `http.allowedOrigins` lists that origin: the API answers its CORS preflights (Private Network
 * Access included) and names it in every answer; any other origin gets no such answer. Over real
 * TCP, and in Chromium, whose refusal is what a kiosk developer meets.
 */
const SELFCHECK = 'https://selfcheck.library.example';
const withTokens = useFakeApi(TEST_TOKENS, [SELFCHECK]);
const tokenless = useFakeApi([], [SELFCHECK]);
const noOrigins = useFakeApi(TEST_TOKENS);

async function listening(build: typeof withTokens): Promise<number> {
  const { api } = await build();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return (api.app.server.address() as { port: number }).port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const preflight = (port: number, origin: string, extra: Record<string, string> = {}) =>
  call(port, 'OPTIONS', '/api/v1/checkouts', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
    ...extra,
  });

const CHECKOUT = JSON.stringify({ patron: 'P1', pin: '1234', item: 'I1' });
const checkout = (port: number, headers: Record<string, string>) =>
  call(port, 'POST', '/api/v1/checkouts', { 'content-type': 'application/json', ...headers }, CHECKOUT);

describe('pages on other origins (http.allowedOrigins)', () => {
  it('answers a listed origin’s preflight, Private Network Access included, and names it in every answer', async () => {
    const port = await listening(withTokens);
    const asked = await preflight(port, SELFCHECK, { 'access-control-request-private-network': 'true' });
    expect(asked.status).toBe(204);
    expect(asked.headers).toMatchObject({
      'access-control-allow-origin': SELFCHECK,
      'access-control-allow-methods': expect.stringContaining('POST'),
      'access-control-allow-headers': expect.stringMatching(/authorization.*content-type/),
      'access-control-allow-private-network': 'true',
      'access-control-max-age': '600',
    });
    expect(asked.headers.vary).toMatch(/origin/i);
    const done = await checkout(port, { origin: SELFCHECK, ...AUTH.kiosk });
    expect(done.status).toBe(200);
    expect(done.headers['access-control-allow-origin']).toBe(SELFCHECK);
    expect(done.headers['access-control-expose-headers']).toContain('location');
    // A refusal too, so that the page can read why.
    const refused = await checkout(port, { origin: SELFCHECK });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(SELFCHECK);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'unauthorized' });
  });

  it('gives any other origin nothing a browser would let its page read', async () => {
    const port = await listening(withTokens);
    for (const origin of ['https://evil.example', 'https://selfcheck.library.example.evil.example', 'null']) {
      const asked = await preflight(port, origin);
      expect(asked.status, origin).toBe(403);
      expect(JSON.parse(asked.body), origin).toMatchObject({ code: 'origin_not_allowed' });
      expect(asked.headers['access-control-allow-origin'], origin).toBeUndefined();
      const sent = await checkout(port, { origin, ...AUTH.kiosk });
      expect(sent.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('lets a listed origin past a tokenless API’s browser guard, WebSockets included; no other', async () => {
    const port = await listening(tokenless);
    expect((await checkout(port, { origin: SELFCHECK })).status).toBe(200);
    expect((await checkout(port, { origin: 'https://evil.example' })).status).toBe(403);
    const opens = async (origin: string) =>
      (await wsHandshake(`ws://127.0.0.1:${port}/api/v1/events`, { origin })).opened;
    expect(await opens(SELFCHECK)).toBe(true);
    expect(await opens('https://evil.example')).toBe(false);
  });

  it('registers nothing when no origin is listed: a preflight finds no route', async () => {
    const port = await listening(noOrigins);
    const asked = await preflight(port, SELFCHECK);
    expect(asked.status).toBe(404);
    expect(asked.headers['access-control-allow-origin']).toBeUndefined();
    expect((await checkout(port, { origin: SELFCHECK, ...AUTH.kiosk })).headers.vary).toBeUndefined();
  });
});

const skip = chromiumSkipReason();

describe.skipIf(skip !== undefined)('a kiosk page on another origin, in Chromium', () => {
  let browser: Browser;
  let pages: Server;
  let pagesPort: number;

  beforeAll(async () => {
    browser = await launchChromium();
    // Serves a blank page: the test's script runs in it, on the origin http://localhost:<pagesPort>.
    pages = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>kiosk</title>');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesPort = (pages.address() as { port: number }).port;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });

  /** A checkout as the page's script makes it: the answer's status, or the browser's refusal. */
  async function checkoutFromPage(pageUrl: string, apiPort: number): Promise<number | string> {
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl);
      return await page.evaluate(
        async ({ api, token, body }) => {
          try {
            const answer = await fetch(`${api}/api/v1/checkouts`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body,
            });
            return answer.status;
          } catch (error) {
            return String(error);
          }
        },
        { api: `http://127.0.0.1:${apiPort}`, token: TEST_TOKENS[0]!.token, body: CHECKOUT },
      );
    } finally {
      await page.close();
    }
  }

  /**
   * A checkout the page's script sends twice with one Idempotency-Key, as a kiosk does after a lost
   * answer: each answer's status and its Idempotent-Replayed header, as the page can read them.
   */
  async function checkoutTwiceFromPage(pageUrl: string, apiPort: number): Promise<unknown> {
    const page = await browser.newPage();
    try {
      await page.goto(pageUrl);
      return await page.evaluate(
        async ({ api, token, body, key }) => {
          const answers = [];
          for (let i = 0; i < 2; i++) {
            try {
              const answer = await fetch(`${api}/api/v1/checkouts`, {
                method: 'POST',
                headers: {
                  authorization: `Bearer ${token}`,
                  'content-type': 'application/json',
                  'idempotency-key': `"${key}"`,
                },
                body,
              });
              answers.push({
                status: answer.status,
                replayed: answer.headers.get('idempotent-replayed'),
                // The desk's time, which the page ages the desk's times against (desk-clock.js).
                dated: answer.headers.get('date') !== null,
              });
            } catch (error) {
              answers.push(String(error));
            }
          }
          return answers;
        },
        {
          api: `http://127.0.0.1:${apiPort}`,
          token: TEST_TOKENS[0]!.token,
          body: CHECKOUT,
          key: randomUUID(),
        },
      );
    } finally {
      await page.close();
    }
  }

  /** The API over the fake desk with tokens and these origins listed, on a free port. */
  async function apiListing(origins: string[]): Promise<{ port: number; stop(): Promise<void> }> {
    const api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: TEST_TOKENS,
      version: 'test',
      allowedOrigins: origins,
    });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    return { port: (api.app.server.address() as { port: number }).port, stop: () => api.app.close() };
  }

  it('lets a listed origin send an Idempotency-Key and read that its second checkout was replayed, and the desk’s time', async () => {
    const origin = `http://localhost:${pagesPort}`;
    const listed = await apiListing([origin]);
    try {
      expect(await checkoutTwiceFromPage(`${origin}/kiosk`, listed.port)).toEqual([
        { status: 200, replayed: null, dated: true },
        { status: 200, replayed: 'true', dated: true },
      ]);
    } finally {
      await listed.stop();
    }
  });

  it('checks out from a listed origin; the browser refuses the page of any other', async () => {
    const origin = `http://localhost:${pagesPort}`;
    const listed = await apiListing([origin]);
    try {
      expect(await checkoutFromPage(`${origin}/kiosk`, listed.port)).toBe(200);
      // Another origin (another host name for the same server): the browser keeps the answer from it.
      expect(await checkoutFromPage(`http://127.0.0.1:${pagesPort}/kiosk`, listed.port)).toMatch(/TypeError/);
    } finally {
      await listed.stop();
    }
    // And without the list, no cross-origin page gets through at all.
    const unlisted = await apiListing([]);
    try {
      expect(await checkoutFromPage(`${origin}/kiosk`, unlisted.port)).toMatch(/TypeError/);
    } finally {
      await unlisted.stop();
    }
  });
});
