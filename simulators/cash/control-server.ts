/**
 * The cash simulator's control API (node:http, JSON, loopback), like the other simulators'.
 *
 *   POST /api/coins    {value}: a coin of `value` minor units (cents) is dropped in → {accepted, …}
 *   POST /api/notes    {value}: a note is fed in → {accepted, escrow?, …}
 *   PUT  /api/devices/coin-acceptor   {jammed?, tamper?, reset?, emptyCashbox?, counterJump?, event?: {a, b}}
 *   PUT  /api/devices/bill-validator  {jammed?, tamper?, reset?, stacker?: in|removed|full, counterJump?, event?}
 *   GET  /api/state    both devices: counters, unread events, inhibits, cash box totals; faults
 *   PUT  /api/faults   {echo?, dropAnswers?, garbleAnswers?, truncateAnswers?, wrongAddressAnswers?,
 *                       noiseBeforeAnswers?, echoMismatches?, replyDelayMs?}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { busFaultsSchema } from './bus.js';
import type { CashSimulator } from './simulator.js';

const MAX_BODY = 16 * 1024;
const money = z.strictObject({ value: z.number().int().positive().max(1_000_000) });
const rawEvent = z.strictObject({ a: z.number().int().min(0).max(255), b: z.number().int().min(0).max(255) });
const coinChange = z.strictObject({
  jammed: z.boolean().optional(),
  tamper: z.literal(true).optional(),
  reset: z.literal(true).optional(),
  emptyCashbox: z.literal(true).optional(),
  counterJump: z.number().int().min(1).max(254).optional(),
  event: rawEvent.optional(),
});
const billChange = z.strictObject({
  jammed: z.boolean().optional(),
  tamper: z.literal(true).optional(),
  reset: z.literal(true).optional(),
  stacker: z.enum(['in', 'removed', 'full']).optional(),
  counterJump: z.number().int().min(1).max(254).optional(),
  event: rawEvent.optional(),
});

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startControlServer(
  simulator: CashSimulator,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(simulator, request, response).catch((error: unknown) => {
      if (error instanceof HttpProblem) send(response, error.status, { error: error.message });
      else if (error instanceof RangeError) send(response, 404, { error: error.message });
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

async function route(sim: CashSimulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const method = request.method ?? 'GET';
  if (path === '/api/state' && method === 'GET') return send(response, 200, sim.state());
  if (path === '/api/coins' && method === 'POST')
    return send(response, 200, sim.insertCoin(parse(money, await readJson(request)).value));
  if (path === '/api/notes' && method === 'POST')
    return send(response, 200, sim.insertNote(parse(money, await readJson(request)).value));
  if (path === '/api/faults') {
    if (method === 'GET') return send(response, 200, sim.state().faults);
    if (method === 'PUT')
      return send(response, 200, sim.setFaults(parse(busFaultsSchema, await readJson(request))));
  }
  if (path === '/api/devices/coin-acceptor' && method === 'PUT') {
    const coin = sim.coinAcceptor;
    if (!coin) throw new HttpProblem(404, 'this bus has no coin acceptor');
    const change = parse(coinChange, await readJson(request));
    if (change.reset) coin.reset();
    if (change.jammed !== undefined) coin.setJammed(change.jammed);
    if (change.tamper) coin.tamper();
    if (change.emptyCashbox) coin.emptyCashbox();
    if (change.counterJump) coin.jumpCounter(change.counterJump);
    if (change.event) coin.injectEvent(change.event);
    return send(response, 200, sim.state().coinAcceptor);
  }
  if (path === '/api/devices/bill-validator' && method === 'PUT') {
    const bill = sim.billValidator;
    if (!bill) throw new HttpProblem(404, 'this bus has no bill validator');
    const change = parse(billChange, await readJson(request));
    if (change.reset) bill.reset();
    if (change.jammed !== undefined) bill.setJammed(change.jammed);
    if (change.tamper) bill.tamper();
    if (change.stacker) bill.setStacker(change.stacker);
    if (change.counterJump) bill.jumpCounter(change.counterJump);
    if (change.event) bill.injectEvent(change.event);
    return send(response, 200, sim.state().billValidator);
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
