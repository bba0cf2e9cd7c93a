import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { ApiProblem } from '../problem.js';
import { kioskContentSecurityPolicy } from './kiosk.js';

/**
 * `/release` (the release station) and `/print-staff` (the print desk): static
 * pages from `web/release` and `web/print-staff`, built only on the public API,
 * served like /kiosk — a fixed list of files read once, the same strict CSP,
 * the token given to the page after `#token=`.
 */
const PAGES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  release: {
    'index.html': 'text/html; charset=utf-8',
    'release.js': 'text/javascript; charset=utf-8',
    'print-api.js': 'text/javascript; charset=utf-8',
    'release.css': 'text/css; charset=utf-8',
  },
  'print-staff': {
    'index.html': 'text/html; charset=utf-8',
    'staff.js': 'text/javascript; charset=utf-8',
    'print-api.js': 'text/javascript; charset=utf-8',
    'staff.css': 'text/css; charset=utf-8',
  },
};

export function printPageRoutes(app: FastifyInstance, root: string = join(packageRoot(), 'web')): void {
  const cache = new Map<string, Promise<Buffer>>();
  const load = (page: string, name: string): Promise<Buffer> => {
    const key = `${page}/${name}`;
    let file = cache.get(key);
    if (!file) {
      file = readFile(join(root, page, name));
      cache.set(key, file);
      file.catch(() => cache.delete(key));
    }
    return file;
  };
  for (const page of Object.keys(PAGES)) {
    const assets = PAGES[page] as Readonly<Record<string, string>>;
    const serve = async (name: string, request: FastifyRequest, reply: FastifyReply) => {
      const type = Object.hasOwn(assets, name) ? assets[name] : undefined;
      if (!type) throw new ApiProblem(404, 'not_found', 'Not found', `no ${page} file ${name}`);
      let body: Buffer;
      try {
        body = await load(page, name);
      } catch {
        throw new ApiProblem(
          404,
          'not_found',
          'Not found',
          `the ${page} page is not installed (web/${page})`,
        );
      }
      reply
        .type(type)
        .header('content-security-policy', kioskContentSecurityPolicy(request.headers.host))
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache');
      return body;
    };
    app.get(`/${page}`, (request, reply) => serve('index.html', request, reply));
    app.get(`/${page}/`, (request, reply) => serve('index.html', request, reply));
    app.get(`/${page}/:asset`, (request, reply) =>
      serve((request.params as { asset: string }).asset, request, reply),
    );
  }
}
