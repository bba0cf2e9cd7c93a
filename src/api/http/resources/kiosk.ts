import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { ApiProblem } from '../problem.js';

/**
 * `/kiosk`: the demo self-check page, static files from `web/kiosk` built only on
 * the public API. Loading the page needs no token (its API calls carry one); the
 * files are a fixed list, read once and kept, so no path from a request ever
 * reaches the file system.
 */
const KIOSK_ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'kiosk.js': 'text/javascript; charset=utf-8',
  'idle.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'words.js': 'text/javascript; charset=utf-8',
  'receipt.js': 'text/javascript; charset=utf-8',
  'login.js': 'text/javascript; charset=utf-8',
  'library.js': 'text/javascript; charset=utf-8',
  'rows.js': 'text/javascript; charset=utf-8',
  'renewals.js': 'text/javascript; charset=utf-8',
  'screen.js': 'text/javascript; charset=utf-8',
  'takeover.js': 'text/javascript; charset=utf-8',
  'pay.js': 'text/javascript; charset=utf-8',
  'kiosk.css': 'text/css; charset=utf-8',
};

/** A Host header that can be written into a CSP source as it is. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** Nothing from elsewhere: scripts, styles and API calls from this origin only, no frames, no forms posted. */
export function kioskContentSecurityPolicy(host: string | undefined): string {
  // 'self' covers ws:/wss: on the same host in CSP 3; the explicit sources are for older engines.
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function kioskRoutes(
  app: FastifyInstance,
  directory: string = join(packageRoot(), 'web', 'kiosk'),
): void {
  pageRoutes(app, { mount: '/kiosk', directory, assets: KIOSK_ASSETS, page: 'the kiosk page (web/kiosk)' });
}

/** A page of static files served under `mount`, as the kiosk is (other pages: a family's own desk page). */
export interface StaticPage {
  /** `/kiosk`: the page is `/kiosk` and `/kiosk/`, its files `/kiosk/<name>`. */
  mount: string;
  directory: string;
  /** The only files served: name → content type; `index.html` is the page. */
  assets: Readonly<Record<string, string>>;
  /** What is missing when the files are not installed, for the 404. */
  page: string;
  /** The page's Content-Security-Policy for a Host header; the kiosk's (the strictest) when absent. */
  contentSecurityPolicy?: (host: string | undefined) => string;
}

interface PageFile {
  body: Buffer;
  etag: string;
}

/**
 * Serves a fixed list of files, read once and kept (no path from a request ever reaches the file
 * system), with the strict CSP above. Loading a page needs no token; its API calls carry one.
 */
export function pageRoutes(app: FastifyInstance, page: StaticPage): void {
  const cache = new Map<string, Promise<PageFile>>();
  const policy = page.contentSecurityPolicy ?? kioskContentSecurityPolicy;

  const load = (name: string): Promise<PageFile> => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(page.directory, name)).then((body) => ({
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      }));
      cache.set(name, file);
      // A missing file is not kept: it may be installed later.
      file.catch(() => cache.delete(name));
    }
    return file;
  };

  const serve = async (name: string, request: FastifyRequest, reply: FastifyReply) => {
    const type = Object.hasOwn(page.assets, name) ? page.assets[name] : undefined;
    // The name asked for is not repeated: it may be a patron barcode or a token pasted after the page.
    if (!type)
      throw new ApiProblem(
        404,
        'not_found',
        'Not found',
        `${page.page} has no such file: the page is ${page.mount}`,
      );
    let file: PageFile;
    try {
      file = await load(name);
    } catch {
      throw new ApiProblem(404, 'not_found', 'Not found', `${page.page} is not installed`);
    }
    reply
      .type(type)
      .header('content-security-policy', policy(request.headers.host))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .header('etag', file.etag);
    // no-cache: the browser asks each time, and is told "not modified" when it has this one.
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return file.body;
  };

  app.get(page.mount, (request, reply) => serve('index.html', request, reply));
  app.get(`${page.mount}/`, (request, reply) => serve('index.html', request, reply));
  app.get(`${page.mount}/:asset`, (request, reply) =>
    serve((request.params as { asset: string }).asset, request, reply),
  );
}
