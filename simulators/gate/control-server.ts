/**
 * The simulated gate's control API (node:http, JSON, loopback), like the pad's and the ILS's.
 *
 *   POST /api/passages   walk a person through: {direction: 'in'|'out', items: [barcode | {item | memoryHex,
 *                        uid?, secured?, afi?, eas?}], secured?: boolean} → 201 {direction, tags (uid, item,
 *                        afi, eas, secured as the gate watches), alarmed, notified, counts}
 *   GET  /api/state      alarm (in use and configured), what it watches (watch, securedAfi), counters,
 *                        notification connection, frames sent, faults
 *   GET  /api/faults     the active faults
 *   PUT  /api/faults     change them: {unplugged?, garbledFrames?, keepAlivesStop?} (booleans)
 *   PUT  /api/counters   set the people counters, {in?, out?} (0..4294967295: a gate put in from
 *                        stock, or one about to wrap) → 200 the counters
 */
import { z } from 'zod';
import type { PeopleCounts } from '../../src/protocols/feig/index.js';
import {
  ControlProblem,
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import { COUNTER_MAX, type Passage, type PassageResult } from './gate-model.js';
import type { ChannelFaults } from './notification-client.js';

export const faultsSchema = z.strictObject({
  unplugged: z.boolean().optional(),
  garbledFrames: z.boolean().optional(),
  keepAlivesStop: z.boolean().optional(),
});

const counter = z.number().int().min(0).max(COUNTER_MAX);
export const countersSchema = z.strictObject({ in: counter.optional(), out: counter.optional() });

/** What the control API drives; the simulator implements it. */
export interface GateControl {
  walk(passage: Passage): PassageResult & { notified: number };
  /** Sets the people counters; the counters as they now are. */
  setCounters(counters: z.output<typeof countersSchema>): PeopleCounts;
  state(): Record<string, unknown>;
  faults(): ChannelFaults;
  setFaults(faults: Partial<ChannelFaults>): ChannelFaults;
}

export function startControlServer(gate: GateControl, options: { host: string; port: number }) {
  return startServer((request) => route(gate, request), options);
}

async function route(gate: GateControl, request: ControlRequest) {
  const { path, method } = request;
  if (path === '/api/passages' && method === 'POST') {
    let walked: ReturnType<GateControl['walk']>;
    try {
      walked = gate.walk((await request.json()) as Passage);
    } catch (error) {
      if (error instanceof RangeError) throw new ControlProblem(400, error.message);
      throw error;
    }
    const { records: _, ...result } = walked;
    return ok({ ...result, counts: gate.state().counters }, 201);
  }
  if (path === '/api/state' && method === 'GET') return ok(gate.state());
  if (path === '/api/counters' && method === 'PUT')
    return ok(gate.setCounters(await request.body(countersSchema)));
  if (path === '/api/faults') {
    if (method === 'GET') return ok(gate.faults());
    if (method === 'PUT') return ok(gate.setFaults(await request.body(faultsSchema)));
  }
  return notFound(request);
}
