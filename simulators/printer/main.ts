/**
 * `carrel sim printer`: runs one simulated receipt printer until SIGINT/SIGTERM.
 *
 *   --port <n>        ESC/POS TCP port (default 9100; 0 = any free port)
 *   --http-port <n>   control API and receipt page (default 9180; 0 = any free port)
 *   --host <addr>     bind address (default 127.0.0.1)
 *   --columns <n>     characters per line (default 42)
 *   --pty             also serve ESC/POS on a pty pair made with socat; prints the path to open
 *   --pty-dir <dir>   where the pty links are made (default: a fresh temporary folder)
 */
import { parseArgs } from 'node:util';
import { CarrelError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { createPtyPair, type PtyPair } from '../common/pty-pair.js';
import { untilStopSignal } from '../common/until-signal.js';
import { startPrinterSimulator } from './simulator.js';

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarrelError('usage', `--${name} must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

export async function runPrinterSimulator(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new CarrelError('usage', (error as Error).message);
  }
  const columns = values.columns === undefined ? 42 : Number(values.columns);
  if (!Number.isInteger(columns) || columns < 16 || columns > 96) {
    throw new CarrelError('usage', `--columns must be a whole number from 16 to 96, got "${values.columns}"`);
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const printer = await startPrinterSimulator({
    host: values.host ?? '127.0.0.1',
    port: portOption(values.port, 'port', 9100),
    httpPort: portOption(values['http-port'], 'http-port', 9180),
    columns,
    logger,
  });
  let pty: PtyPair | undefined;
  try {
    if (values.pty) {
      pty = await createPtyPair(values['pty-dir'] ? { dir: values['pty-dir'] } : {});
      await printer.attachSerialPath(pty.devicePath);
    }
  } catch (error) {
    await printer.close();
    throw error;
  }

  console.log(`printer simulator "${printer.id}"`);
  console.log(`  ESC/POS  tcp://${values.host ?? '127.0.0.1'}:${printer.escposPort}`);
  if (pty) console.log(`  ESC/POS  serial ${pty.hostPath}  (open this end)`);
  console.log(`  receipts ${printer.httpUrl}/`);
  console.log(`  control  ${printer.httpUrl}/api/control`);

  await untilStopSignal();
  await printer.close();
  await pty?.close();
  logger.flush();
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      'http-port': { type: 'string' },
      host: { type: 'string' },
      columns: { type: 'string' },
      pty: { type: 'boolean' },
      'pty-dir': { type: 'string' },
    },
  });
}
