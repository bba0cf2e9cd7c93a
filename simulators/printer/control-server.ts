/**
 * The printer simulator's control API and receipt page (node:http).
 *
 *   GET    /                       page: condition, buttons, recent receipts (newest first)
 *   GET    /api/state              condition, power, buffer
 *   GET    /api/receipts           recent receipts, newest first
 *   GET    /api/receipts/:id.svg   one receipt as SVG
 *   GET    /api/receipts/:id.txt   one receipt as plain text
 *   DELETE /api/receipts           forget printed receipts
 *   POST   /api/control            {coverOpen?, paperOut?, paperNearEnd?, offline?}
 *   POST   /api/power              {on: boolean}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { receiptPage } from './receipt-page.js';
import type { PrinterSimulator } from './simulator.js';

const MAX_BODY = 16 * 1024;

const ControlBody = z
  .object({
    coverOpen: z.boolean().optional(),
    paperOut: z.boolean().optional(),
    paperNearEnd: z.boolean().optional(),
    offline: z.boolean().optional(),
  })
  .strict();

const PowerBody = z.object({ on: z.boolean() }).strict();

class BadRequest extends Error {}

export async function startControlServer(
  printer: PrinterSimulator,
  options: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(printer, request, response).catch((error: unknown) => {
      if (error instanceof BadRequest) send(response, 400, { error: error.message });
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
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(printer: PrinterSimulator, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const path = url.pathname;

  if (method === 'GET' && path === '/') {
    return sendText(response, 200, 'text/html; charset=utf-8', receiptPage(printer));
  }
  if (method === 'GET' && path === '/api/state') return send(response, 200, printer.state());
  if (path === '/api/receipts') {
    if (method === 'GET') return send(response, 200, printer.receipts().reverse());
    if (method === 'DELETE') {
      printer.clearReceipts();
      return send(response, 200, { cleared: true });
    }
  }
  const one = /^\/api\/receipts\/(\d+)\.(svg|txt)$/.exec(path);
  if (method === 'GET' && one) {
    const receipt = printer.receipt(Number(one[1]));
    if (!receipt) return send(response, 404, { error: `no receipt ${one[1]}` });
    return one[2] === 'svg'
      ? sendText(response, 200, 'image/svg+xml; charset=utf-8', receipt.svg)
      : sendText(response, 200, 'text/plain; charset=utf-8', `${receipt.text}\n`);
  }
  if (method === 'POST' && path === '/api/control') {
    const body = parse(ControlBody, await readJson(request));
    printer.setCondition(body);
    return send(response, 200, printer.state());
  }
  if (method === 'POST' && path === '/api/power') {
    const body = parse(PowerBody, await readJson(request));
    if (body.on) await printer.powerOn();
    else await printer.powerOff();
    return send(response, 200, printer.state());
  }
  return send(response, 404, { error: `no route ${method} ${path}` });
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BadRequest(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest('body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}
