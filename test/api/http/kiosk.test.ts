import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { kioskContentSecurityPolicy, kioskRoutes } from '../../../src/api/http/resources/kiosk.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { packageRoot } from '../../../src/core/paths.js';
import { fakeServices } from './fake-services.js';

const WEB = join(packageRoot(), 'web', 'kiosk');
const TOKENS = [{ name: 'kiosk-1', token: 'kiosk-token-0123456789', scopes: ['kiosk' as const] }];

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.app.close();
  api = undefined;
});

async function build() {
  api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: fakeServices().services,
    logger: silentLogger(),
    tokens: TOKENS,
    version: '0.0.0-test',
  });
  return api.app;
}

/** Sends a request line as written (no client-side `..` clean-up) and returns the status code. */
async function rawStatus(port: number, path: string): Promise<number> {
  const socket = connect(port, '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  if (!status) throw new Error(`no status line in ${JSON.stringify(text.slice(0, 80))}`);
  return Number(status);
}

describe('the kiosk page route', () => {
  it('serves the page and its files with their content types, without a token, under a strict CSP', async () => {
    const app = await build();
    const cases: Array<[string, string, string]> = [
      ['/kiosk', 'text/html', 'index.html'],
      ['/kiosk/', 'text/html', 'index.html'],
      ['/kiosk/index.html', 'text/html', 'index.html'],
      ['/kiosk/kiosk.js', 'text/javascript', 'kiosk.js'],
      ['/kiosk/api.js', 'text/javascript', 'api.js'],
      ['/kiosk/words.js', 'text/javascript', 'words.js'],
      ['/kiosk/receipt.js', 'text/javascript', 'receipt.js'],
      ['/kiosk/rows.js', 'text/javascript', 'rows.js'],
      ['/kiosk/renewals.js', 'text/javascript', 'renewals.js'],
      ['/kiosk/screen.js', 'text/javascript', 'screen.js'],
      ['/kiosk/login.js', 'text/javascript', 'login.js'],
      ['/kiosk/library.js', 'text/javascript', 'library.js'],
      ['/kiosk/takeover.js', 'text/javascript', 'takeover.js'],
      ['/kiosk/kiosk.css', 'text/css', 'kiosk.css'],
    ];
    for (const [url, type, file] of cases) {
      const response = await app.inject({ url, headers: { host: '127.0.0.1:8480' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe(`${type}; charset=utf-8`);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body).toBe(readFileSync(join(WEB, file), 'utf8'));
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self' ws://127.0.0.1:8480 wss://127.0.0.1:8480");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
    }
    // The API itself still wants the token.
    expect((await app.inject({ url: '/api/v1/devices' })).statusCode).toBe(401);
  });

  it('answers 404 problems for files that are not the kiosk’s, and never reaches outside web/kiosk', async () => {
    const app = await build();
    for (const url of ['/kiosk/nope.js', '/kiosk/constructor', '/kiosk/__proto__', '/kiosk/.gitignore']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'not_found', status: 404 });
    }
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    for (const path of [
      '/kiosk/../package.json',
      '/kiosk/..%2Fpackage.json',
      '/kiosk/%2e%2e%2f%2e%2e%2fpackage.json',
      '/kiosk/..%5C..%5Cpackage.json',
      '/kiosk/kiosk.js/../../package.json',
    ]) {
      expect(await rawStatus(port, path), path).toBe(404);
    }
  });

  it('does not repeat the file asked for in its 404: a patron barcode or a token pasted after /kiosk/', async () => {
    const app = await build();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    for (const path of ['/kiosk/21000001', '/kiosk/tok-9f8e7d6c5b4a', '/kiosk/Zo%C3%AB%201234']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await response.text();
      const problem = JSON.parse(text) as { code: string; detail: string };
      expect(problem.code).toBe('not_found');
      // In words: the page has no such file, and where the page is.
      expect(problem.detail).toMatch(/no such file/);
      expect(problem.detail).toContain('/kiosk');
      for (const secret of ['21000001', 'tok-9f8e7d6c5b4a', 'Zoë', '1234'])
        expect(text, path).not.toContain(secret);
    }
  });

  it('says the page is not installed when its folder is missing, and serves it once it appears', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'carrel-kiosk-'));
    try {
      const app = Fastify();
      kioskRoutes(app, join(directory, 'absent'));
      const response = await app.inject({ url: '/kiosk' });
      expect(response.statusCode).toBe(404);
      mkdirSync(join(directory, 'absent'));
      writeFileSync(join(directory, 'absent', 'index.html'), '<!doctype html><title>later</title>');
      const later = await app.inject({ url: '/kiosk' });
      expect(later.statusCode).toBe(200);
      expect(later.body).toContain('later');
      await app.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('leaves the WebSocket sources out of the CSP when the Host header is not a plain host', () => {
    expect(kioskContentSecurityPolicy('evil.example; script-src *')).toContain("connect-src 'self';");
    expect(kioskContentSecurityPolicy(undefined)).toContain("connect-src 'self';");
    expect(kioskContentSecurityPolicy('[::1]:8480')).toContain('ws://[::1]:8480');
  });

  it('serves every module the page imports', async () => {
    const app = await build();
    const seen = new Set<string>();
    const pending = ['kiosk.js'];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const response = await app.inject({ url: `/kiosk/${file}` });
      expect(response.statusCode, file).toBe(200);
      for (const [, from] of response.body.matchAll(/from '\.\/([a-z]+\.js)'/g)) pending.push(from!);
      for (const [, shared] of response.body.matchAll(/from '(\/common\/[a-z-]+\.js)'/g)) {
        const common = await app.inject({ url: shared! });
        expect(common.statusCode, shared).toBe(200);
        expect(common.headers['content-type'], shared).toContain('javascript');
      }
    }
    expect([...seen].sort()).toEqual([
      'api.js',
      'idle.js',
      'kiosk.js',
      'library.js',
      'login.js',
      'receipt.js',
      'renewals.js',
      'rows.js',
      'screen.js',
      'takeover.js',
      'words.js',
    ]);
  });

  it('loads nothing from outside its own origin', () => {
    const html = readFileSync(join(WEB, 'index.html'), 'utf8');
    const references = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) expect(reference).toMatch(/^(\/kiosk\/|data:,$)/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts (the CSP would block them)
    expect(html).not.toMatch(/\bstyle="/);
    for (const file of [
      'kiosk.js',
      'api.js',
      'words.js',
      'receipt.js',
      'rows.js',
      'renewals.js',
      'screen.js',
      'takeover.js',
      'login.js',
      'library.js',
      'kiosk.css',
    ]) {
      const text = readFileSync(join(WEB, file), 'utf8');
      expect(text, file).not.toMatch(/https?:\/\//);
      expect(text, file).not.toMatch(/@import|url\(/);
      // Its own modules, or the pages' shared modules on the same origin (words.js reaches them
      // relatively, '../common/', so that the tests can import it from its file as well).
      for (const [, from] of text.matchAll(/from '([^']+)'/g))
        expect(from, file).toMatch(/^(\.\/[a-z]+\.js|(\/|\.\.\/)common\/[a-z-]+\.js)$/);
    }
  });
});
