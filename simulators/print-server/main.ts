/**
 * `carrel sim print-server`: runs one simulated IPP print server until SIGINT/SIGTERM.
 *
 *   --port <n>       IPP, control API and page (default 8631; 0 = any free port)
 *   --host <addr>    bind address (default 127.0.0.1)
 *   --queue <name>   a queue (default public-bw; repeat for more)
 *   --page-ms <n>    milliseconds per printed impression (default 200)
 *   --no-hold        print jobs at once instead of holding them for release
 */
import { CarrelError } from '../../src/core/errors.js';
import { numberOption, simulatorMain } from '../common/main.js';
import { PRINT_SERVER_PORTS } from './family.js';
import { startPrintServerSimulator } from './simulator.js';

export const runPrintServerSimulator = simulatorMain({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    queue: { type: 'string', multiple: true },
    'page-ms': { type: 'string' },
    'no-hold': { type: 'boolean' },
  },
  async start(values, logger) {
    const queues = values.queue && values.queue.length > 0 ? values.queue : ['public-bw'];
    for (const queue of queues) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(queue))
        throw new CarrelError('usage', `--queue must be letters, digits, '.', '_' or '-', got "${queue}"`);
    }
    const host = values.host ?? '127.0.0.1';
    const server = await startPrintServerSimulator({
      id: 'print-server',
      host,
      port: numberOption(values.port, 'port', PRINT_SERVER_PORTS.port),
      queues,
      pageMs: numberOption(values['page-ms'], 'page-ms', 200, 60_000) || 1,
      holdAll: !values['no-hold'],
      logger,
    });
    return {
      banner: [
        `print server simulator "${server.id}"`,
        ...queues.map((queue) => `  IPP      ${server.queueUrl(queue)}`),
        `  page     ${server.url}/`,
        `  control  ${server.url}/api/jobs, ${server.url}/api/faults`,
      ],
      close: () => server.close(),
    };
  },
});
