/**
 * The desk's card page (web/cards): its static files, served as they are, apart from the card API's
 * operations (card-printer.ts). A module the page imports is listed here, or it is never served.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../core/paths.js';
import { pageRoutes } from '../http/resources/kiosk.js';

const CARD_PAGE_ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'cards.js': 'text/javascript; charset=utf-8',
  'camera.js': 'text/javascript; charset=utf-8',
  'still-to-do.js': 'text/javascript; charset=utf-8',
  'printer-words.js': 'text/javascript; charset=utf-8',
  'cards.css': 'text/css; charset=utf-8',
};

/** Serves the card page at /cards. */
export function cardPageRoutes(app: FastifyInstance): void {
  pageRoutes(app, {
    mount: '/cards',
    directory: join(packageRoot(), 'web', 'cards'),
    assets: CARD_PAGE_ASSETS,
    page: 'the card desk page (web/cards)',
  });
}
