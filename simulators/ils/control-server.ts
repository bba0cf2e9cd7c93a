/**
 * The ILS simulator's control API (node:http, JSON, loopback), like the
 * printer's and the pad's: read the state, set faults at run time.
 *
 *   GET    /api/state          SIP2 address, connections (each: logged in, reading, waiting), faults, library size
 *   GET    /api/faults         the active faults
 *   PUT    /api/faults         replace them: {hang?, latencyMs?, dropAfterMessages?, idleTimeoutMs?,
 *                              omitChecksums?, garbageLine?, forceCrLf?, loseAnswers?: {type, times},
 *                              ignoreRequests?: {type, times}, resendRequests?: {type, times},
 *                              garbleAnswers?: {type, times}};
 *                              {} clears them
 *   DELETE /api/connections    close every open SIP2 connection now
 *   /api/v1/…                  the Koha-shaped REST API (koha-rest.ts): patrons, accounts, debits
 */
import {
  type ControlRequest,
  notFound,
  ok,
  startControlServer as startServer,
} from '../common/control-server.js';
import { ilsFaultsSchema } from './faults.js';
import { KohaRestApi } from './koha-rest.js';
import type { IlsSimulator } from './server.js';

export function startControlServer(simulator: IlsSimulator, options: { host: string; port: number }) {
  const rest = new KohaRestApi(simulator);
  return startServer(async (request) => (await rest.route(request)) ?? route(simulator, request), {
    ...options,
    maxBody: 16 * 1024,
  });
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

async function route(simulator: IlsSimulator, request: ControlRequest) {
  const { path, method } = request;
  if (path === '/api/state' && method === 'GET') return ok(ilsSimulatorState(simulator));
  if (path === '/api/faults') {
    if (method === 'GET') return ok(simulator.faults());
    if (method === 'PUT') {
      simulator.setFaults(await request.body(ilsFaultsSchema));
      return ok(simulator.faults());
    }
  }
  if (path === '/api/connections' && method === 'DELETE') return ok({ dropped: simulator.dropConnections() });
  return notFound(request);
}
