/**
 * The one small HTTP server every simulator's control API runs on (node:http, JSON, loopback by
 * default): a simulator supplies only its routes. Bodies are bounded and parsed here; a route
 * throws `ControlProblem` for a 4xx, and anything else is a 500 without details.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';

/** A refusal with its HTTP status; its message goes to the caller as `{error}`. */
export class ControlProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One request to a control API, with the helpers a route needs. */
export interface ControlRequest {
  readonly method: string;
  readonly path: string;
  readonly url: URL;
  readonly raw: IncomingMessage;
  /** The JSON body (an empty body is `{}`); 413 above the server's limit, 400 when not JSON. */
  json(): Promise<unknown>;
  /** The JSON body checked against a schema; 400 naming every problem. */
  body<T>(schema: z.ZodType<T, unknown>): Promise<T>;
}

/** What a route answers: JSON, text of a type (a page, an SVG), or bytes of a type (a PNG). */
export type ControlAnswer =
  | { status: number; json: unknown }
  | { status: number; text: string; type: string }
  | { status: number; bytes: Uint8Array; type: string };

export type ControlRoute = (request: ControlRequest) => Promise<ControlAnswer> | ControlAnswer;

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  /** Largest body accepted, in bytes (default 64 KiB). */
  maxBody?: number;
}

/** Shorthands for answers. */
export const ok = (json: unknown, status = 200): ControlAnswer => ({ status, json });
export const notFound = (request: ControlRequest): never => {
  throw new ControlProblem(404, `no route ${request.method} ${request.path}`);
};

export async function startControlServer(
  route: ControlRoute,
  options: ControlServerOptions,
): Promise<ControlServer> {
  const maxBody = options.maxBody ?? 64 * 1024;
  const server = createServer((raw, response) => {
    const url = new URL(raw.url ?? '/', 'http://localhost');
    const request: ControlRequest = {
      method: raw.method ?? 'GET',
      path: url.pathname,
      url,
      raw,
      json: () => readJson(raw, maxBody),
      body: async (schema) => parse(schema, await readJson(raw, maxBody)),
    };
    Promise.resolve()
      .then(() => route(request))
      .then(
        (answer) => send(response, answer),
        (error: unknown) =>
          send(
            response,
            error instanceof ControlProblem
              ? { status: error.status, json: { error: error.message } }
              : { status: 500, json: { error: 'internal error' } },
          ),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A body checked against a schema, or a 400 naming every problem. */
export function parse<T>(schema: z.ZodType<T, unknown>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new ControlProblem(
      400,
      result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return result.data;
}

async function readJson(request: IncomingMessage, maxBody: number): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new ControlProblem(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ControlProblem(400, 'body is not JSON');
  }
}

function send(response: ServerResponse, answer: ControlAnswer): void {
  if (response.headersSent) return;
  const [type, text]: [string, string | Uint8Array] =
    'json' in answer
      ? ['application/json; charset=utf-8', JSON.stringify(answer.json)]
      : 'bytes' in answer
        ? [answer.type, answer.bytes]
        : [answer.type, answer.text];
  response.writeHead(answer.status, {
    'content-type': type,
    'content-length': typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength,
    'cache-control': 'no-store',
  });
  response.end(text);
}
