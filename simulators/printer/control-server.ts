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
import { z } from 'zod';
import {
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import { receiptPage } from './receipt-page.js';
import type { PrinterSimulator } from './simulator.js';

const ControlBody = z
  .object({
    coverOpen: z.boolean().optional(),
    paperOut: z.boolean().optional(),
    paperNearEnd: z.boolean().optional(),
    offline: z.boolean().optional(),
  })
  .strict();

const PowerBody = z.object({ on: z.boolean() }).strict();

export function startControlServer(printer: PrinterSimulator, options: { host: string; port: number }) {
  return startServer((request) => route(printer, request), { ...options, maxBody: 16 * 1024 });
}

async function route(printer: PrinterSimulator, request: ControlRequest) {
  const { method, path } = request;
  if (method === 'GET' && path === '/') {
    return { status: 200, type: 'text/html; charset=utf-8', text: receiptPage(printer) };
  }
  if (method === 'GET' && path === '/api/state') return ok(printer.state());
  if (path === '/api/receipts') {
    if (method === 'GET') return ok(printer.receipts().reverse());
    if (method === 'DELETE') {
      printer.clearReceipts();
      return ok({ cleared: true });
    }
  }
  const one = /^\/api\/receipts\/(\d+)\.(svg|txt)$/.exec(path);
  if (method === 'GET' && one) {
    const receipt = printer.receipt(Number(one[1]));
    if (!receipt) return ok({ error: `no receipt ${one[1]}` }, 404);
    return one[2] === 'svg'
      ? { status: 200, type: 'image/svg+xml; charset=utf-8', text: receipt.svg }
      : { status: 200, type: 'text/plain; charset=utf-8', text: `${receipt.text}\n` };
  }
  if (method === 'POST' && path === '/api/control') {
    const body = await request.body(ControlBody);
    printer.setCondition(body);
    return ok(printer.state());
  }
  if (method === 'POST' && path === '/api/power') {
    const body = await request.body(PowerBody);
    if (body.on) await printer.powerOn();
    else await printer.powerOff();
    return ok(printer.state());
  }
  return notFound(request);
}
