/**
 * The ILS simulator's control API (node:http, JSON, loopback), like the
 * printer's and the pad's: read the state, set faults at run time.
 *
 *   GET    /api/state          SIP2 address, connections (each: logged in, reading, waiting), faults, library size
 *   GET    /api/faults         the active faults
 *   PUT    /api/faults         replace them: {hang?, latencyMs?, dropAfterMessages?, idleTimeoutMs?,
 *                              omitChecksums?, garbageLine?, forceCrLf?, loseAnswers?: {type, times},
 *                              ignoreRequests?: {type, times}};
 *                              {} clears them
 *   DELETE /api/connections    close every open SIP2 connection now
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ilsFaultsSchema } from './faults.js';
import type { IlsSimulator } from './server.js';

const MAX_BODY = 16 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControlServer(
  simulator: IlsSimulator,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(simulator, request, response).catch((error: unknown) => {
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

/** What GET /api/state answers: no patron data, only counts. */
export function ilsSimulatorState(simulator: IlsSimulator) {
  const library = simulator.state;
  return {
    name: library.name,
    sip2: simulator.url,
    connections: simulator.connections,
    connectionsAccepted: simulator.connectionsAccepted,
    links: simulator.connectionStates(),
    faults: simulator.faults(),
    library: { patrons: library.patrons.size, items: library.items.size },
  };
}

async function route(
  simulator: IlsSimulator,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const method = request.method ?? 'GET';
  if (path === '/api/state' && method === 'GET') return send(response, 200, ilsSimulatorState(simulator));
  if (path === '/api/faults') {
    if (method === 'GET') return send(response, 200, simulator.faults());
    if (method === 'PUT') {
      const result = ilsFaultsSchema.safeParse(await readJson(request));
      if (!result.success) {
        const problems = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
        throw new HttpProblem(400, problems.join('; '));
      }
      simulator.setFaults(result.data);
      return send(response, 200, simulator.faults());
    }
  }
  if (path === '/api/connections' && method === 'DELETE') {
    return send(response, 200, { dropped: simulator.dropConnections() });
  }
  throw new HttpProblem(404, `no route ${method} ${path}`);
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
