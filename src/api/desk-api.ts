/**
 * The desk's whole API as modules: the resources every desk has, and each
 * device family's module (given by the composition root, from the family
 * list) between them. HTTP serves them all; MQTT offers the operations that
 * say so; the event stream (WebSocket and MQTT) passes every device event
 * through its family's privacy edge.
 */
import type { DeviceEvent } from '../devices/device-state.js';
import type { ProblemTable } from './http/problem.js';
import { callerApi } from './http/resources/caller.js';
import { circulationApi } from './http/resources/circulation.js';
import { deviceApi } from './http/resources/devices.js';
import type { ApiModule } from './operations.js';

/** Every module in the order the OpenAPI document lists them. */
export function deskApiModules(
  familyModules: readonly ApiModule[],
  httpOnly: readonly ApiModule[] = [],
): ApiModule[] {
  return [deviceApi, ...familyModules, circulationApi, callerApi, ...httpOnly];
}

/** One function that makes any device event fit to leave the gateway: each family module decides for its own. */
export function publicEventOf(modules: readonly ApiModule[]): (event: DeviceEvent) => DeviceEvent {
  const edges = modules.flatMap((module) => (module.publicEvent ? [module.publicEvent] : []));
  return (event) => edges.reduce((current, edge) => edge(current), event);
}

/**
 * Every module's own error codes, for the HTTP error handler. A code two modules both list must
 * read the same in both: a client sees one status and title for it whichever route answered.
 */
export function problemsOf(modules: readonly ApiModule[]): ProblemTable {
  const table: Record<string, ProblemTable[string]> = {};
  for (const module of modules)
    for (const [code, problem] of Object.entries(module.problems ?? {})) {
      const listed = table[code];
      if (listed && (listed.status !== problem.status || listed.title !== problem.title))
        throw new Error(
          `the API modules list ${code} twice, as ${listed.status} "${listed.title}" and as ${problem.status} "${problem.title}"`,
        );
      table[code] = problem;
    }
  return table;
}
