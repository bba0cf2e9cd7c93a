/**
 * `carrel sim cash`: a simulated ccTalk bus with a coin acceptor (address 2)
 * and a bill validator with escrow (address 40), until SIGINT/SIGTERM.
 *
 *   --port <n>          ccTalk over TCP, as a serial-over-IP converter (default 10050; 0 = any free port)
 *   --http-port <n>     control API (default 10051; 0 = any free port)
 *   --host <addr>       bind address (default 127.0.0.1)
 *   --currency <c>      EUR (default) or USD
 *   --no-coins          no coin acceptor on the bus
 *   --no-notes          no bill validator on the bus
 *   --pty               also serve the bus on a pty pair made with socat; prints the path to open
 *   --pty-dir <dir>     where the pty links are made (default: a fresh temporary folder)
 */
import { CarrelError } from '../../src/core/errors.js';
import { LISTEN_OPTIONS, numberOption, PTY_OPTIONS, servePty, simulatorMain } from '../common/main.js';
import { CASH_PORTS } from './family.js';
import { startCashSimulator } from './simulator.js';

export const runCashSimulator = simulatorMain({
  options: {
    ...LISTEN_OPTIONS,
    currency: { type: 'string' },
    'no-coins': { type: 'boolean' },
    'no-notes': { type: 'boolean' },
    ...PTY_OPTIONS,
  },
  async start(values, logger) {
    const currency = values.currency ?? 'EUR';
    if (currency !== 'EUR' && currency !== 'USD')
      throw new CarrelError('usage', `--currency must be EUR or USD, got "${currency}"`);
    if (values['no-coins'] && values['no-notes'])
      throw new CarrelError('usage', '--no-coins and --no-notes leave nothing on the bus');
    const host = values.host ?? '127.0.0.1';
    const sim = await startCashSimulator({
      host,
      port: numberOption(values.port, 'port', CASH_PORTS.port),
      httpPort: numberOption(values['http-port'], 'http-port', CASH_PORTS['http-port']),
      currency,
      ...(values['no-coins'] ? { coinAddress: null } : {}),
      ...(values['no-notes'] ? { billAddress: null } : {}),
      logger,
    });
    const { pty, close } = await servePty(values, sim);
    const devices = [
      ...(sim.coinAcceptor ? [`coin acceptor at ${sim.coinAcceptor.address}`] : []),
      ...(sim.billValidator ? [`bill validator at ${sim.billValidator.address}`] : []),
    ];
    return {
      banner: [
        `cash simulator (ccTalk, ${currency}): ${devices.join(', ')}`,
        `  ccTalk   tcp://${host}:${sim.port}`,
        ...(pty ? [`  ccTalk   serial ${pty.hostPath}  (open this end, 9600 8N1)`] : []),
        `  control  ${sim.httpUrl}/api/state  (POST /api/coins, POST /api/notes, PUT /api/faults)`,
      ],
      close,
    };
  },
});
