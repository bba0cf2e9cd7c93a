/**
 * The scanner simulator's control API (node:http, JSON, loopback), like the other simulators'.
 *
 *   POST /api/scan   {barcode, symbology?, via?: serial|wedge|all}: scan a code → {bytes}
 *   POST /api/swipe  {cardNumber, via?}: swipe a magstripe card (track 2) → {bytes}
 *   POST /api/raw    {hex}: send bytes as they are on the serial links (broken scans)
 *   POST /api/card   {uid, responses?, leaveOn?, atr?}: put a virtual contactless card on pcscd's vpcd reader
 *   DELETE /api/card  take it off
 *   GET  /api/state  scans, swipes, serial clients, the FIFO, the settings
 */
import { z } from 'zod';
import {
  ControlProblem,
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import type { ScannerSimulator } from './simulator.js';

const via = z.enum(['serial', 'wedge', 'all']).optional();
const scanBody = z.strictObject({
  barcode: z.string().min(1).max(8192),
  symbology: z.string().optional(),
  via,
});
const swipeBody = z.strictObject({ cardNumber: z.string().regex(/^\d{1,19}$/), via });
const hexBytes = z.string().regex(/^([0-9a-fA-F]{2})+$/);
const cardBody = z.strictObject({
  uid: z.string().regex(/^([0-9a-fA-F]{2}){4,10}$/, 'a UID of 4 to 10 bytes in hex'),
  responses: z.record(hexBytes, hexBytes).optional(),
  leaveOn: hexBytes.optional(),
  /** The card's ATR (hex, 2 to 33 bytes); a MIFARE Classic 1K's when absent. */
  atr: z
    .string()
    .regex(/^([0-9a-fA-F]{2}){2,33}$/, 'an ATR of 2 to 33 bytes in hex')
    .optional(),
});
const rawBody = z.strictObject({
  hex: z
    .string()
    .regex(/^([0-9a-fA-F]{2})*$/)
    .max(40_000),
});

export function startControlServer(simulator: ScannerSimulator, options: { host: string; port: number }) {
  return startServer(
    async (request) => {
      try {
        return await route(simulator, request);
      } catch (error) {
        // A character the wedge's layout cannot type, a symbology with no AIM code.
        if (error instanceof RangeError || (error as { code?: string }).code === 'scan_bad_symbology')
          throw new ControlProblem(422, (error as Error).message);
        throw error;
      }
    },
    { ...options, maxBody: 64 * 1024 },
  );
}

async function route(simulator: ScannerSimulator, request: ControlRequest) {
  const { method, path } = request;
  if (method === 'GET' && path === '/api/state') return ok(simulator.state());
  if (method === 'POST' && path === '/api/scan') {
    const body = await request.body(scanBody);
    return ok(
      await simulator.scan(body.barcode, {
        ...(body.symbology ? { symbology: body.symbology } : {}),
        ...(body.via ? { via: body.via } : {}),
      }),
    );
  }
  if (method === 'POST' && path === '/api/swipe') {
    const body = await request.body(swipeBody);
    return ok(await simulator.swipe(body.cardNumber, body.via ? { via: body.via } : {}));
  }
  if (method === 'POST' && path === '/api/card') {
    const body = await request.body(cardBody);
    try {
      await simulator.presentCard(Buffer.from(body.uid, 'hex'), {
        ...(body.responses ? { responses: body.responses } : {}),
        ...(body.leaveOn ? { leaveOn: body.leaveOn } : {}),
        ...(body.atr ? { atr: Buffer.from(body.atr, 'hex') } : {}),
      });
    } catch (error) {
      if (error instanceof RangeError) throw new ControlProblem(409, error.message);
      throw new ControlProblem(
        503,
        `no PC/SC reader to put the card on (is pcscd with vsmartcard-vpcd running?): ${(error as Error).message}`,
      );
    }
    return ok(simulator.state().card, 201);
  }
  if (method === 'DELETE' && path === '/api/card') {
    await simulator.removeCard();
    return ok({ removed: true });
  }
  if (method === 'POST' && path === '/api/raw') {
    const body = await request.body(rawBody);
    return ok(await simulator.sendRaw(Buffer.from(body.hex, 'hex')));
  }
  return notFound(request);
}
