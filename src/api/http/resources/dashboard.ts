import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { pageRoutes } from './kiosk.js';

const SCRIPT = 'text/javascript; charset=utf-8';

/**
 * `/dashboard`: the desk's device dashboard for IT staff (web/dashboard), and `/common`: the
 * API client the pages Carrel serves share (web/common). Both are fixed lists of static files
 * built only on the public API; the page's calls carry the token (monitor scope to read,
 * admin for its actions).
 */
export function dashboardRoutes(app: FastifyInstance, web: string = join(packageRoot(), 'web')): void {
  pageRoutes(app, {
    mount: '/common',
    directory: join(web, 'common'),
    assets: { 'carrel-api.js': SCRIPT, 'print-api.js': SCRIPT, 'patron-scans.js': SCRIPT },
    page: 'the pages’ shared files (web/common)',
  });
  pageRoutes(app, {
    mount: '/dashboard',
    directory: join(web, 'dashboard'),
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'dashboard.js': SCRIPT,
      'dashboard.css': 'text/css; charset=utf-8',
    },
    page: 'the device dashboard (web/dashboard)',
  });
}
