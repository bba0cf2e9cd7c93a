/**
 * `carrel sim gate`: runs one simulated FEIG security gate until SIGINT/SIGTERM.
 *
 *   --host <h>            where Carrel's gate notification listener is (default 127.0.0.1)
 *   --port <n>            its port (required)
 *   --local-address <a>   dial from this address (gates "at" 127.0.0.2, 127.0.0.3… on one machine)
 *   --command-port <n>    the gate's own command port (default 10002, beside the pad simulator's 10001; 0 = any)
 *   --http-port <n>       control API (default 10090; 0 = any free port)
 *   --keep-alive <s>      seconds between keep-alives (default 5; 0 = none)
 *   --ack                 ACK mode: each notification waits for Carrel's [0x32]
 *   --alarm-off           start with the alarm loops switched off
 *   --watch <w>           what makes a tag secured to the gate: afi (its AFI filter, default), eas, afi+eas
 *   --all-tags            report every tag, not only secured ones
 */
import { CarrelError } from '../../src/core/errors.js';
import { numberOption, simulatorMain } from '../common/main.js';
import { GATE_PORTS } from './family.js';
import type { GateWatch } from './gate-model.js';
import { startGateSimulator } from './simulator.js';

export const runGateSimulator = simulatorMain({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'local-address': { type: 'string' },
    'command-port': { type: 'string' },
    'http-port': { type: 'string' },
    'keep-alive': { type: 'string' },
    ack: { type: 'boolean' },
    'alarm-off': { type: 'boolean' },
    watch: { type: 'string' },
    'all-tags': { type: 'boolean' },
  },
  async start(values) {
    const host = values.host ?? '127.0.0.1';
    if (values.port === undefined) throw new CarrelError('usage', '--port is required');
    const port = numberOption(values.port, 'port', 0);
    if (port === 0) throw new CarrelError('usage', '--port must name the port Carrel listens on for gates');
    const sim = await startGateSimulator({
      host,
      port,
      ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
      commandPort: numberOption(values['command-port'], 'command-port', GATE_PORTS['command-port']),
      httpPort: numberOption(values['http-port'], 'http-port', GATE_PORTS['http-port']),
      keepAliveMs: numberOption(values['keep-alive'], 'keep-alive', 5, 3600) * 1000,
      ack: values.ack === true,
      alarmOn: values['alarm-off'] !== true,
      watch: watchOption(values.watch),
      reportAllTags: values['all-tags'] === true,
    });
    const from = values['local-address'] ? ` from ${values['local-address']}` : '';
    return {
      banner: [
        `security gate simulator (FEIG notification mode${values.ack ? ', ACK' : ''}, watching ${sim.model.watching().watch})`,
        `  notifies  tcp://${host}:${port}${from}`,
        `  commands  tcp://127.0.0.1:${sim.commandPort}`,
        `  control   ${sim.httpUrl}/api/state  (POST /api/passages, PUT /api/faults, PUT /api/counters)`,
      ],
      close: () => sim.close(),
    };
  },
});

const WATCHES: readonly GateWatch[] = ['afi', 'eas', 'afi+eas'];

function watchOption(value: string | undefined): GateWatch {
  if (value === undefined) return 'afi';
  const watch = WATCHES.find((w) => w === value);
  if (watch === undefined)
    throw new CarrelError('usage', `--watch must be one of ${WATCHES.join(', ')}, not ${value}`);
  return watch;
}
