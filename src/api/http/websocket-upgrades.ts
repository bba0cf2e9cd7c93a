import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiProblem } from './problem.js';

/**
 * Where WebSocket handshakes are accepted, and what everyone else hears.
 *
 * @fastify/websocket routes every request that arrives with `Upgrade: websocket`
 * through fastify and, on a route with no WebSocket handler, completes the
 * handshake (101) only to close the socket at once (1005): a client is told
 * "connected" and then dropped. Here such a request gets an ordinary HTTP answer
 * and is never upgraded: 404 `not_a_websocket` (RFC 6455 §4.2.2: a resource that
 * offers no WebSocket service answers the handshake with an HTTP error such as
 * 404), before any authentication or body reading — node has already taken the
 * socket away from the HTTP parser, so a body could never be read and the
 * connection is closed after the answer. Not 426: that status means the
 * opposite (the server wants the client to upgrade). The other way round, a
 * plain GET on a WebSocket route is answered 426 with `Upgrade: websocket`.
 */
export function guardWebSocketUpgrades(app: FastifyInstance): void {
  const websocketRoutes = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.websocket || route.wsHandler) websocketRoutes.add(route.url);
  });
  // A callback hook: every request passes it, nearly none is a WebSocket, and an async one costs a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.ws) return done();
    const url = request.routeOptions.url;
    if (url !== undefined && websocketRoutes.has(url) && request.method === 'GET') return done();
    const problem = new ApiProblem(
      404,
      'not_a_websocket',
      'No WebSocket here',
      `WebSockets are served at ${[...websocketRoutes].join(' and ')}`,
    );
    reply
      .code(404)
      .header('connection', 'close')
      .type('application/problem+json')
      .send(JSON.stringify(problem.body()));
  });
}

/** The HTTP handler of a WebSocket route: a plain request is told to upgrade (426). */
export function websocketRequired(_request: unknown, reply: FastifyReply): FastifyReply {
  const problem = new ApiProblem(
    426,
    'websocket_required',
    'WebSocket required',
    'this resource is a WebSocket: connect with Upgrade: websocket',
  );
  return reply
    .code(426)
    .header('upgrade', 'websocket')
    .header('connection', 'Upgrade')
    .type('application/problem+json')
    .send(JSON.stringify(problem.body()));
}
