/**
 * `carrel sim card-printer`: a simulated Evolis (or Magicard) card printer, until SIGINT/SIGTERM.
 *
 *   --model <m>         evolis (default) or magicard
 *   --port <n>          the command stream over TCP (default 10060; 0 = any free port)
 *   --http-port <n>     control API and page with the printed cards (default 10061; 0 = any free port)
 *   --host <addr>       bind address (default 127.0.0.1)
 *   --ribbon <r>        ymcko (default) or k
 *   --pty               also serve the printer on a pty pair made with socat; prints the path to open
 *   --pty-dir <dir>     where the pty links are made (default: a fresh temporary folder)
 */
import { CarrelError } from '../../src/core/errors.js';
import { LISTEN_OPTIONS, numberOption, PTY_OPTIONS, servePty, simulatorMain } from '../common/main.js';
import { CARD_PRINTER_PORTS } from './family.js';
import { startCardPrinterSimulator } from './simulator.js';

export const runCardPrinterSimulator = simulatorMain({
  options: {
    ...LISTEN_OPTIONS,
    ribbon: { type: 'string' },
    model: { type: 'string' },
    ...PTY_OPTIONS,
  },
  async start(values, logger) {
    const ribbon = values.ribbon ?? 'ymcko';
    if (ribbon !== 'ymcko' && ribbon !== 'k')
      throw new CarrelError('usage', `--ribbon must be ymcko or k, got "${ribbon}"`);
    const model = values.model ?? 'evolis';
    if (model !== 'evolis' && model !== 'magicard')
      throw new CarrelError('usage', `--model must be evolis or magicard, got "${model}"`);
    const host = values.host ?? '127.0.0.1';
    const sim = await startCardPrinterSimulator({
      make: model,
      host,
      port: numberOption(values.port, 'port', CARD_PRINTER_PORTS.port),
      httpPort: numberOption(values['http-port'], 'http-port', CARD_PRINTER_PORTS['http-port']),
      ribbon,
      logger,
    });
    const { pty, close } = await servePty(values, sim);
    return {
      banner: [
        `card printer simulator (${model === 'magicard' ? 'Magicard' : 'Evolis'}, ribbon ${ribbon})`,
        `  commands tcp://${host}:${sim.port}`,
        ...(pty ? [`  commands serial ${pty.hostPath}  (open this end, 115200 8N1)`] : []),
        `  control  ${sim.httpUrl}/  (GET /api/state, /api/cards, PUT /api/faults)`,
      ],
      close,
    };
  },
});
