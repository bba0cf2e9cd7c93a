import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../core/paths.js';
import { pageRoutes } from './kiosk.js';

const SCRIPT = 'text/javascript; charset=utf-8';

/**
 * `/reports`: the desk report for a coordinator (web/reports), built only on
 * GET /api/v1/stats/measures; its calls carry a staff or monitor token. Chart.js
 * (`/reports/lib/chart.umd.js`) is served from the installed package, so the
 * page works with no internet.
 */
export function reportRoutes(app: FastifyInstance, root: string = packageRoot()): void {
  pageRoutes(app, {
    mount: '/reports',
    directory: join(root, 'web', 'reports'),
    assets: {
      'index.html': 'text/html; charset=utf-8',
      'reports.js': SCRIPT,
      'reports.css': 'text/css; charset=utf-8',
    },
    page: 'the desk report (web/reports)',
  });
  pageRoutes(app, {
    mount: '/reports/lib',
    directory: join(root, 'node_modules', 'chart.js', 'dist'),
    assets: { 'chart.umd.js': SCRIPT },
    page: 'Chart.js (node_modules/chart.js)',
  });
}
