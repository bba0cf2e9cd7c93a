import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { pageRoutes } from './kiosk.js';

const SCRIPT = 'text/javascript; charset=utf-8';

/**
 * `/release` (the release station) and `/print-staff` (the print desk): static pages from
 * `web/release` and `web/print-staff`, built only on the public API (their client is the pages'
 * shared `/common/print-api.js`), served like /kiosk: a fixed list of files read once, the same
 * strict CSP, the token given to the page after `#token=`.
 */
export function printPageRoutes(app: FastifyInstance, root: string = join(packageRoot(), 'web')): void {
  pageRoutes(app, {
    mount: '/release',
    directory: join(root, 'release'),
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'release.js': SCRIPT,
      'screen.js': SCRIPT,
      'login.js': SCRIPT,
      'job-list.js': SCRIPT,
      'words.js': SCRIPT,
      'top-up.js': SCRIPT,
      'release.css': 'text/css; charset=utf-8',
    },
    page: 'the release station page (web/release)',
  });
  pageRoutes(app, {
    mount: '/print-staff',
    directory: join(root, 'print-staff'),
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'staff.js': SCRIPT,
      'words.js': SCRIPT,
      'report.js': SCRIPT,
      'staff.css': 'text/css; charset=utf-8',
    },
    page: 'the print desk page (web/print-staff)',
  });
}
