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
import { CarrelError } from '../../src/core/errors.js';
import { LISTEN_OPTIONS, numberOption, PTY_OPTIONS, servePty, simulatorMain } from '../common/main.js';
import { PRINTER_PORTS } from './family.js';
import { startPrinterSimulator } from './simulator.js';

export const runPrinterSimulator = simulatorMain({
  options: {
    ...LISTEN_OPTIONS,
    columns: { type: 'string' },
    ...PTY_OPTIONS,
  },
  async start(values, logger) {
    const columns = values.columns === undefined ? 42 : Number(values.columns);
    if (!Number.isInteger(columns) || columns < 16 || columns > 96) {
      throw new CarrelError(
        'usage',
        `--columns must be a whole number from 16 to 96, got "${values.columns}"`,
      );
    }
    const host = values.host ?? '127.0.0.1';
    const printer = await startPrinterSimulator({
      host,
      port: numberOption(values.port, 'port', PRINTER_PORTS.port),
      httpPort: numberOption(values['http-port'], 'http-port', PRINTER_PORTS['http-port']),
      columns,
      logger,
    });
    const { pty, close } = await servePty(values, printer);
    return {
      banner: [
        `printer simulator "${printer.id}"`,
        `  ESC/POS  tcp://${host}:${printer.escposPort}`,
        ...(pty ? [`  ESC/POS  serial ${pty.hostPath}  (open this end)`] : []),
        `  receipts ${printer.httpUrl}/`,
        `  control  ${printer.httpUrl}/api/control`,
      ],
      close,
    };
  },
});
