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
 *   --all-tags            report every tag, not only secured ones
 */
import { parseArgs } from 'node:util';
import { CarrelError } from '../../src/core/errors.js';
import { untilStopSignal } from '../common/until-signal.js';
import { startGateSimulator } from './simulator.js';

function numberOption(
  value: string | undefined,
  name: string,
  fallback: number | undefined,
  max: number,
): number {
  if (value === undefined) {
    if (fallback === undefined) throw new CarrelError('usage', `--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new CarrelError('usage', `--${name} must be a whole number 0-${max}, got "${value}"`);
  return n;
}

export async function runGateSimulator(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new CarrelError('usage', (error as Error).message);
  }
  const host = values.host ?? '127.0.0.1';
  const port = numberOption(values.port, 'port', undefined, 65535);
  if (port === 0) throw new CarrelError('usage', '--port must name the port Carrel listens on for gates');
  const sim = await startGateSimulator({
    host,
    port,
    ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
    commandPort: numberOption(values['command-port'], 'command-port', 10002, 65535),
    httpPort: numberOption(values['http-port'], 'http-port', 10090, 65535),
    keepAliveMs: numberOption(values['keep-alive'], 'keep-alive', 5, 3600) * 1000,
    ack: values.ack === true,
    alarmOn: values['alarm-off'] !== true,
    reportAllTags: values['all-tags'] === true,
  });
  console.log(`security gate simulator (FEIG notification mode${values.ack ? ', ACK' : ''})`);
  console.log(
    `  notifies  tcp://${host}:${port}${values['local-address'] ? ` from ${values['local-address']}` : ''}`,
  );
  console.log(`  commands  tcp://127.0.0.1:${sim.commandPort}`);
  console.log(`  control   ${sim.httpUrl}/api/state  (POST /api/passages, PUT /api/faults)`);
  await untilStopSignal();
  await sim.close();
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'local-address': { type: 'string' },
      'command-port': { type: 'string' },
      'http-port': { type: 'string' },
      'keep-alive': { type: 'string' },
      ack: { type: 'boolean' },
      'alarm-off': { type: 'boolean' },
      'all-tags': { type: 'boolean' },
    },
  });
}
