import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { pageRoutes } from './kiosk.js';

/**
 * `/docs`: the API page — Swagger UI rendering the OpenAPI document Carrel generates from its
 * operations (`/docs/openapi.json`), with "Authorize" (a bearer token) and "Try it out" calling
 * this desk. Everything is served by the gateway itself, nothing from a CDN (a desk may have no
 * internet): the page from `web/docs`, Swagger UI's bundle and stylesheet from the installed
 * `swagger-ui-dist` module (a production dependency, so the Debian package carries it), as
 * fixed lists of files like every page Carrel serves.
 */
export function docsRoutes(
  app: FastifyInstance,
  openApi: () => object,
  directories: { page: string; swaggerUi: string | undefined } = {
    page: join(packageRoot(), 'web', 'docs'),
    swaggerUi: swaggerUiDirectory(),
  },
): void {
  app.get('/docs/openapi.json', async (_request, reply) => {
    reply.type('application/json; charset=utf-8');
    return JSON.stringify(openApi());
  });
  pageRoutes(app, {
    mount: '/docs',
    directory: directories.page,
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'docs.js': 'text/javascript; charset=utf-8',
      'docs.css': 'text/css; charset=utf-8',
    },
    page: 'the API page (web/docs)',
    contentSecurityPolicy: docsContentSecurityPolicy,
  });
  pageRoutes(app, {
    mount: '/docs/swagger-ui',
    // A directory that cannot exist when the module is missing: its files answer 404 "not installed".
    directory: directories.swaggerUi ?? join(packageRoot(), 'node_modules', 'swagger-ui-dist'),
    assets: {
      'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
      'swagger-ui.css': 'text/css; charset=utf-8',
    },
    page: 'Swagger UI (the swagger-ui-dist module)',
    contentSecurityPolicy: docsContentSecurityPolicy,
  });
}

/** Where the installed swagger-ui-dist is, found as Node finds modules from this file; undefined when it is not. */
export function swaggerUiDirectory(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

/**
 * As tight as the kiosk's policy, and tighter (no WebSocket source): Swagger UI 5 runs under it
 * as served here, which test/e2e/docs-page.test.ts checks in Chromium (any CSP violation there
 * fails it). What it needs, and why:
 *
 * - `script-src 'self'`: the bundle and docs.js are files of this origin. No inline script (the
 *   stock index.html's inline initializer is replaced by docs.js) and no `'unsafe-eval'` (the
 *   bundle's `Function("return this")` is a guarded fallback it never needs in a browser).
 * - `style-src 'self'`: its stylesheet is a file; the styles React gives elements (highlighted
 *   JSON, models) are set through the DOM, which a CSP does not restrict, so no `'unsafe-inline'`.
 * - `img-src 'self' data:`: the stylesheet's icons (arrows, locks, copy) are data: SVGs.
 * - `connect-src 'self'`: fetching /docs/openapi.json and "Try it out", whose server is `/`,
 *   this desk. No call leaves for the validator badge (`validatorUrl: null` in docs.js).
 * - `form-action 'none'`: the Authorize dialog's form is handled in script, never posted.
 */
export function docsContentSecurityPolicy(_host: string | undefined): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
