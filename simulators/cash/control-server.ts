/**
 * The cash simulator's control API (node:http, JSON, loopback), like the other simulators'.
 *
 *   POST /api/coins    {value}: a coin of `value` minor units (cents) is dropped in → {accepted, …}
 *   POST /api/notes    {value}: a note is fed in → {accepted, escrow?, …}
 *   PUT  /api/devices/coin-acceptor   {jammed?, tamper?, reset?, emptyCashbox?, counterJump?, event?: {a, b}}
 *   PUT  /api/devices/bill-validator  {jammed?, tamper?, reset?, stacker?: in|removed|full, counterJump?, event?}
 *   GET  /api/state    both devices: counters, unread events, inhibits, cash box totals; faults
 *   PUT  /api/faults   {echo?, dropAnswers?, dropRequests?, garbleAnswers?, truncateAnswers?, wrongAddressAnswers?,
 *                       noiseBeforeAnswers?, echoMismatches?, replyDelayMs?}
 */
import { z } from 'zod';
import {
  ControlProblem,
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import { busFaultsSchema } from './bus.js';
import type { CashSimulator } from './simulator.js';

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

export function startControlServer(simulator: CashSimulator, options: { host: string; port: number }) {
  return startServer(
    async (request) => {
      try {
        return await route(simulator, request);
      } catch (error) {
        // A value the simulated device has no channel for.
        if (error instanceof RangeError) throw new ControlProblem(404, error.message);
        throw error;
      }
    },
    { ...options, maxBody: 16 * 1024 },
  );
}

async function route(sim: CashSimulator, request: ControlRequest) {
  const { path, method } = request;
  if (path === '/api/state' && method === 'GET') return ok(sim.state());
  if (path === '/api/coins' && method === 'POST')
    return ok(sim.insertCoin((await request.body(money)).value));
  if (path === '/api/notes' && method === 'POST')
    return ok(sim.insertNote((await request.body(money)).value));
  if (path === '/api/faults') {
    if (method === 'GET') return ok(sim.state().faults);
    if (method === 'PUT') return ok(sim.setFaults(await request.body(busFaultsSchema)));
  }
  if (path === '/api/devices/coin-acceptor' && method === 'PUT') {
    const coin = sim.coinAcceptor;
    if (!coin) throw new ControlProblem(404, 'this bus has no coin acceptor');
    const change = await request.body(coinChange);
    if (change.reset) coin.reset();
    if (change.jammed !== undefined) coin.setJammed(change.jammed);
    if (change.tamper) coin.tamper();
    if (change.emptyCashbox) coin.emptyCashbox();
    if (change.counterJump) coin.jumpCounter(change.counterJump);
    if (change.event) coin.injectEvent(change.event);
    return ok(sim.state().coinAcceptor);
  }
  if (path === '/api/devices/bill-validator' && method === 'PUT') {
    const bill = sim.billValidator;
    if (!bill) throw new ControlProblem(404, 'this bus has no bill validator');
    const change = await request.body(billChange);
    if (change.reset) bill.reset();
    if (change.jammed !== undefined) bill.setJammed(change.jammed);
    if (change.tamper) bill.tamper();
    if (change.stacker) bill.setStacker(change.stacker);
    if (change.counterJump) bill.jumpCounter(change.counterJump);
    if (change.event) bill.injectEvent(change.event);
    return ok(sim.state().billValidator);
  }
  return notFound(request);
}
