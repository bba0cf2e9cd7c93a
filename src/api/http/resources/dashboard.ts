import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { pageRoutes } from './kiosk.js';

const SCRIPT = 'text/javascript; charset=utf-8';
const STYLESHEET = 'text/css; charset=utf-8';

/** The base stylesheet the desk pages and the fleet view share (web/common/page.css), at `/common/page.css`. */
export const SHARED_STYLESHEET: Readonly<Record<string, string>> = { 'page.css': STYLESHEET };

/**
 * `/dashboard`: the desk's device dashboard for IT staff (web/dashboard), and `/common`: the
 * API client and the base stylesheet the pages Carrel serves share (web/common). Both are fixed lists of static files
 * built only on the public API; the page's calls carry the token (monitor scope to read,
 * admin for its actions).
 */
export function dashboardRoutes(app: FastifyInstance, web: string = join(packageRoot(), 'web')): void {
  pageRoutes(app, {
    mount: '/common',
    directory: join(web, 'common'),
    assets: {
      'carrel-api.js': SCRIPT,
      'desk-clock.js': SCRIPT,
      'print-api.js': SCRIPT,
      'money.js': SCRIPT,
      'patron-scans.js': SCRIPT,
      'owed.js': SCRIPT,
      'device-words.js': SCRIPT,
      ...SHARED_STYLESHEET,
    },
    page: 'the pages’ shared files (web/common)',
  });
  pageRoutes(app, {
    mount: '/dashboard',
    directory: join(web, 'dashboard'),
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'dashboard.js': SCRIPT,
      'conflicts.js': SCRIPT,
      'detail-words.js': SCRIPT,
      'dashboard.css': STYLESHEET,
    },
    page: 'the device dashboard (web/dashboard)',
  });
}
