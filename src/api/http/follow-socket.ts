import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { type Access, type Principal, socketCredential, type TokenAuthenticator } from './auth.js';
import { ApiProblem, problemFromError } from './problem.js';
import type { RouteBook, SocketRoute } from './routes.js';
import { jsonSender } from './socket-sender.js';
import { websocketRequired } from './websocket-upgrades.js';

/** One resource's live updates, over a WebSocket that follows it until it ends. */
export interface FollowedResource<Update extends { event: string }> {
  /** The route, with `:id`: `/api/v1/payments/:id/events`. */
  url: string;
  /** In the library's words, `payment`, `session`: the problem code `<what>_not_found`, the close reason `<what> ended`. */
  what: string;
  id: z.ZodType<string>;
  access: Access;
  /**
   * Sends the caller each update of the resource it may see; throws (404) when it may not. Returns
   * the stop. `query` is the socket's query string (the caller may say more of itself there).
   */
  watch(
    id: string,
    principal: Principal,
    send: (update: Update) => void,
    query: Readonly<Record<string, unknown>>,
  ): () => void;
  /** An update after which the socket is closed too, besides `ended` (1000): its event, code and reason. */
  closeAfter?: { event: Update['event']; code: number; reason: string; why: string };
  /** For the OpenAPI document: its name, summary and tag, the query it reads, its updates. */
  document: Pick<SocketRoute, 'operationId' | 'summary' | 'tag' | 'query' | 'messages'>;
}

/**
 * A WebSocket route following one resource (a self-check session, a payment). The socket is closed
 * 4401 / 4403 for a missing or insufficient token, 4404 for a resource that does not exist or is not
 * the caller's (with the problem code as the reason), 1000 once the resource has ended; a client too
 * slow to read is closed 1008. A plain GET is told to upgrade (426).
 */
export function followRoute<Update extends { event: string }>(
  app: FastifyInstance,
  book: RouteBook,
  auth: TokenAuthenticator,
  log: Logger,
  resource: FollowedResource<Update>,
): void {
  const { what } = resource;
  book.describeSocket({
    ...resource.document,
    url: resource.url,
    access: resource.access,
    params: z.object({ id: resource.id }),
    closeCodes: {
      1000: `the ${what} ended (after its ended message)`,
      4401: 'no token, or one the desk does not know (unauthorized)',
      4403: 'a token without the scope (forbidden)',
      4404: `no such ${what}, or not the caller's (${what}_not_found; or invalid_request for a bad query)`,
      ...(resource.closeAfter ? { [resource.closeAfter.code]: resource.closeAfter.why } : {}),
    },
  });
  app.route({
    method: 'GET',
    url: resource.url,
    handler: websocketRequired,
    websocket: (socket, request) => {
      const id = request.params.id ?? '';
      let stop: (() => void) | undefined;
      try {
        const principal = auth.authorize(socketCredential(request), resource.access);
        if (!resource.id.safeParse(id).success)
          throw new ApiProblem(404, `${what}_not_found`, `No such ${what}`);
        const sendJson = jsonSender(socket, log, what);
        const send = (update: Update) => {
          if (!sendJson(update)) return;
          if (update.event === 'ended') socket.close(1000, `${what} ended`);
          else if (update.event === resource.closeAfter?.event)
            socket.close(resource.closeAfter.code, resource.closeAfter.reason);
        };
        stop = resource.watch(id, principal, send, (request.query ?? {}) as Record<string, unknown>);
      } catch (error) {
        const problem = problemFromError(error);
        const code = problem.status === 401 ? 4401 : problem.status === 403 ? 4403 : 4404;
        socket.close(code, problem.code);
        return;
      }
      socket.on('close', () => stop?.());
      socket.on('error', () => stop?.());
      socket.on('message', () => {});
    },
  });
}
