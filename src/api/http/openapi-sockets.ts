import type { SocketRoute } from './routes.js';

type Json = Record<string, unknown>;

/** What every WebSocket route closes with, besides its own codes. */
const PROTOCOL_CLOSES: Readonly<Record<number, string>> = {
  1001: 'the desk is stopping (or restarting): connect again',
  1008: 'the client read too slowly and too much waited for it',
  1009: 'a message over 64 KiB was sent (clients only listen)',
};

/** The handshake's own headers (RFC 6455 §4.1), as OpenAPI parameters. */
const HANDSHAKE_HEADERS: Json[] = [
  { name: 'Upgrade', in: 'header', required: true, schema: { const: 'websocket' } },
  { name: 'Connection', in: 'header', required: true, schema: { type: 'string', examples: ['Upgrade'] } },
  {
    name: 'Sec-WebSocket-Key',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: '16 random bytes in base64, a new one each handshake (any WebSocket client makes it)',
  },
  { name: 'Sec-WebSocket-Version', in: 'header', required: true, schema: { const: '13' } },
];

const ACCESS_TOKEN: Json = {
  name: 'access_token',
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description:
    'the API token, for a client that cannot set Authorization on a WebSocket (a browser); the Authorization header is taken as well',
};

/**
 * The operation of a WebSocket route in the OpenAPI document: the GET of its handshake, with the
 * handshake's headers, its path and query parameters and the token as `access_token`; answered
 * 101 and then its messages (`x-carrel-websocket`: the JSON Schema of one, and the close codes),
 * 426 to a plain GET, 400 to a malformed handshake.
 */
export function socketOperation(
  route: SocketRoute,
  parameters: unknown[],
  toSchema: (schema: SocketRoute['messages']['schema']) => Json,
  security: Json,
  problemResponses: (statuses: readonly number[]) => Json,
): Json {
  const guarded = route.access !== 'public';
  const closeCodes = Object.fromEntries(
    Object.entries({ ...PROTOCOL_CLOSES, ...route.closeCodes }).sort(([a], [b]) => Number(a) - Number(b)),
  );
  const problems = problemResponses([400, 426]);
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    description:
      'A WebSocket (RFC 6455): this GET is its handshake, answered 101 Switching Protocols, after which ' +
      `the server sends JSON text messages. ${route.messages.description} A refused token closes the ` +
      'socket 4401 (none or unknown) or 4403 (without the scope) rather than answering 401/403.',
    parameters: [...parameters, ...(guarded ? [ACCESS_TOKEN] : []), ...HANDSHAKE_HEADERS],
    responses: {
      '101': {
        description:
          'Switching Protocols: the WebSocket is open. Its messages and close codes are in x-carrel-websocket ' +
          'of this operation.',
        headers: {
          Upgrade: { schema: { const: 'websocket' } },
          Connection: { schema: { const: 'Upgrade' } },
          'Sec-WebSocket-Accept': {
            description: 'the key sent, proven read (RFC 6455 §4.2.2)',
            schema: { type: 'string' },
          },
        },
      },
      '400': {
        ...(problems['400'] as Json),
        description:
          'A malformed handshake (no or bad Sec-WebSocket-Key, another version): bad_websocket_handshake',
      },
      '426': {
        ...(problems['426'] as Json),
        description: 'A plain GET, without Upgrade: websocket: websocket_required',
        headers: { Upgrade: { schema: { const: 'websocket' } } },
      },
    },
    'x-carrel-websocket': {
      messages: { description: route.messages.description, schema: toSchema(route.messages.schema) },
      closeCodes,
    },
    // The token as a bearer, or as the access_token parameter above (not a scheme of its own: the
    // docs page's Authorize would offer it for every operation, where no other takes it).
    ...security,
  };
}
