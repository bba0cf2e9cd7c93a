import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem } from './problem.js';

/**
 * What fastify and node answer themselves, before any route runs, made into the
 * same application/problem+json as every other error. None echoes the URL:
 * it may carry a patron barcode.
 */

/** fastify's `frameworkErrors`: a badly percent-encoded URL, a path parameter over the limit. */
export function frameworkProblem(
  error: { code?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiProblem(414, 'uri_too_long', 'URL too long', 'a path parameter is too long')
      : error.code === 'FST_ERR_BAD_URL'
        ? new ApiProblem(400, 'invalid_request', 'Invalid request', 'the URL is not validly percent-encoded')
        : new ApiProblem(400, 'invalid_request', 'Invalid request', 'the request could not be routed');
  reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem.body()));
}

/** fastify's `clientErrorHandler`: node could not read the request (header too large, timeout, bad syntax). */
export function clientErrorProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiProblem(
          431,
          'headers_too_large',
          'Request headers too large',
          'the URL or headers are too long',
        )
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiProblem(408, 'request_timeout', 'Request timeout', 'the request did not arrive in time')
        : new ApiProblem(400, 'invalid_request', 'Invalid request', 'the request is not valid HTTP');
  const body = JSON.stringify(problem.body());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nConnection: close\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
