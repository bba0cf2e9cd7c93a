/**
 * The simulated gate's control API (node:http, JSON, loopback), like the pad's and the ILS's.
 *
 *   POST /api/passages   walk a person through: {direction: 'in'|'out', items: [barcode | {memoryHex, uid?,
 *                        secured?}], secured?: boolean} → 201 {direction, tags, alarmed, notified, counts}
 *   GET  /api/state      alarm (in use and configured), counters, notification connection, frames sent, faults
 *   GET  /api/faults     the active faults
 *   PUT  /api/faults     change them: {unplugged?, garbledFrames?, keepAlivesStop?} (booleans)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Passage, PassageResult } from './gate-model.js';
import type { ChannelFaults } from './notification-client.js';

const MAX_BODY = 64 * 1024;

export const faultsSchema = z.strictObject({
  unplugged: z.boolean().optional(),
  garbledFrames: z.boolean().optional(),
  keepAlivesStop: z.boolean().optional(),
});

/** What the control API drives; the simulator implements it. */
export interface GateControl {
  walk(passage: Passage): PassageResult & { notified: number };
  state(): Record<string, unknown>;
  faults(): ChannelFaults;
  setFaults(faults: Partial<ChannelFaults>): ChannelFaults;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControlServer(
  gate: GateControl,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(gate, request, response).catch((error: unknown) => {
      if (error instanceof HttpProblem) send(response, error.status, { error: error.message });
      else send(response, 500, { error: 'internal error' });
    });
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

async function route(gate: GateControl, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const method = request.method ?? 'GET';
  if (path === '/api/passages' && method === 'POST') {
    let walked: ReturnType<GateControl['walk']>;
    try {
      walked = gate.walk((await readJson(request)) as Passage);
    } catch (error) {
      if (error instanceof RangeError) throw new HttpProblem(400, error.message);
      throw error;
    }
    const { records: _, ...result } = walked;
    return send(response, 201, { ...result, counts: gate.state().counters });
  }
  if (path === '/api/state' && method === 'GET') return send(response, 200, gate.state());
  if (path === '/api/faults') {
    if (method === 'GET') return send(response, 200, gate.faults());
    if (method === 'PUT')
      return send(response, 200, gate.setFaults(parse(faultsSchema, await readJson(request))));
  }
  throw new HttpProblem(404, `no route ${method} ${path}`);
}

function parse<T>(schema: z.ZodType<T, unknown>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new HttpProblem(
      400,
      result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  return result.data;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpProblem(413, 'body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'body is not JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
