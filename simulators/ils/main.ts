/**
 * `carrel sim ils`: runs the simulated ILS (a SIP2 2.00 server) until SIGINT/SIGTERM.
 *
 *   --fixture <file>    library fixture, YAML or JSON (default: the sample library)
 *   --port <n>          SIP2 port (default 6001; 0 = any free port)
 *   --http-port <n>     control API on 127.0.0.1: state, faults, the Koha-shaped REST API (default 6080; 0 = any free port)
 *   --host <addr>       bind address (default 127.0.0.1)
 *   --tls-cert <file>   serve SIP2 over TLS with this PEM certificate…
 *   --tls-key <file>    …and this PEM private key (both or neither)
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CarrelError, ConfigError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { whyUnreadable } from '../../src/core/read-up-to.js';
import { asksForHelp, optionsUsage } from '../common/main.js';
import { untilStopSignal } from '../common/until-signal.js';
import { ILS_PORTS } from './family.js';
import { startIlsSimulator } from './server.js';

export const DEFAULT_ILS_PORT = ILS_PORTS.port;
export const DEFAULT_ILS_CONTROL_PORT = ILS_PORTS['http-port'];

/** The sample library shipped with the simulator (next to this file, or in the source tree when built). */
export function sampleFixturePath(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/')
    ? fileURLToPath(new URL('../../../simulators/ils/fixtures/sample-library.yaml', import.meta.url))
    : fileURLToPath(new URL('./fixtures/sample-library.yaml', import.meta.url));
}

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarrelError('usage', `--${name} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

export async function runIlsSimulator(argv: string[]): Promise<number> {
  if (asksForHelp(argv)) {
    console.log(optionsUsage(ILS_OPTIONS));
    return 0;
  }
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new CarrelError('usage', `${(error as Error).message}\n${optionsUsage(ILS_OPTIONS)}`);
  }
  const certPath = values['tls-cert'];
  const keyPath = values['tls-key'];
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new CarrelError('usage', '--tls-cert and --tls-key go together');
  }
  const pem = async (path: string, option: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new CarrelError('usage', `${option}: cannot read ${path}: ${whyUnreadable(error)}`);
    }
  };
  const tls =
    certPath !== undefined && keyPath !== undefined
      ? { cert: await pem(certPath, '--tls-cert'), key: await pem(keyPath, '--tls-key') }
      : undefined;
  const fixturePath = values.fixture ?? sampleFixturePath();
  // The log on stderr (readable on a terminal, JSON otherwise): stdout is the banner, which a
  // script reads to learn where the simulator listens.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
  let simulator: Awaited<ReturnType<typeof startIlsSimulator>>;
  try {
    simulator = await startIlsSimulator({
      fixture: fixturePath,
      host: values.host ?? '127.0.0.1',
      port: portOption(values.port, 'port', DEFAULT_ILS_PORT),
      httpPort: portOption(values['http-port'], 'http-port', DEFAULT_ILS_CONTROL_PORT),
      ...(tls ? { tls } : {}),
      logger,
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      const lines = error.issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');
      throw new CarrelError('usage', `fixture ${fixturePath} is not valid:\n${lines}`);
    }
    throw error;
  }
  const library = simulator.state;
  // Listened for before the banner, as simulatorMain does: a script stopping it at once closes it.
  const stopped = untilStopSignal();
  console.log(`ILS simulator "${library.name}" (SIP2 2.00)`);
  console.log(`  SIP2     ${simulator.url}`);
  console.log(
    `  control  ${simulator.controlUrl}/api/state  (PUT /api/faults: hang, latencyMs, dropAfterMessages…)`,
  );
  console.log(`  REST     ${simulator.controlUrl}/api/v1  (Koha-shaped patron accounts: debits, balance)`);
  console.log(`  fixture  ${fixturePath}`);
  console.log(`  logins   ${library.fixture.accounts.map((a) => a.loginUserId).join(', ')}`);

  await stopped;
  await simulator.close();
  logger.flush();
  return 0;
}

const ILS_OPTIONS = {
  fixture: { type: 'string' },
  port: { type: 'string' },
  'http-port': { type: 'string' },
  host: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, strict: true, allowPositionals: false, options: ILS_OPTIONS });
}
