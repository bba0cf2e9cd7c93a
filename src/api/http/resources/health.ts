import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import type { TokenAuthenticator } from '../auth.js';
import type { RouteBook } from '../routes.js';
import { readinessSchema } from '../schemas.js';

export function healthRoutes(
  app: FastifyInstance,
  book: RouteBook,
  services: DeskServices,
  auth: TokenAuthenticator,
): void {
  book.add(app, {
    method: 'GET',
    url: '/healthz',
    operationId: 'liveness',
    summary: 'Liveness: the process answers',
    tag: 'health',
    access: 'public',
    response: z.object({ status: z.literal('ok') }),
    handler: () => ({ status: 'ok' as const }),
  });

  book.add(app, {
    method: 'GET',
    url: '/readyz',
    operationId: 'readiness',
    summary:
      'Readiness: every feature running and every device reachable (503 otherwise, with the failing checks)',
    tag: 'health',
    access: 'public',
    response: readinessSchema,
    alsoAnswers: { 503: 'Not ready: the same report, its failing checks saying why' },
    handler: ({ reply, request }) => {
      const readiness = services.readiness();
      // Not ready is still a JSON body with every check, so IT staff see what is wrong.
      if (!readiness.ready) reply?.code(503);
      // Where the database is, for carrel doctor beside the desk: to a caller with the monitor scope
      // (or admin; everyone on a desk without tokens, which serves this machine only), never to the
      // anonymous callers a public route otherwise answers.
      const caller = request && auth.identify(request.headers.authorization);
      const monitors = caller?.scopes.includes('monitor') || caller?.scopes.includes('admin');
      if (!monitors || services.databasePath === undefined) return readiness;
      return { ...readiness, storage: { database: services.databasePath } };
    },
  });
}
