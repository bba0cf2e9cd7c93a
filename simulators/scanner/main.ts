/**
 * `carrel sim scanner`: a simulated barcode scanner and magstripe reader, until SIGINT/SIGTERM.
 *
 *   --port <n>          the serial scanner over TCP (default 10070; 0 = any free port)
 *   --http-port <n>     control API (default 10071; 0 = any free port)
 *   --host <addr>       bind address (default 127.0.0.1)
 *   --aim               send AIM symbology identifiers (]C0…) before each code
 *   --keymap <us|de>    the layout the keyboard wedge types in (default us)
 *   --fifo <path>       also type scans as input_event records into this FIFO (a stand-in for /dev/input/eventN)
 *   --pty               also send scans on a pty pair made with socat; prints the path to open
 *   --pty-dir <dir>     where the pty links are made (default: a fresh temporary folder)
 */
import { CarrelError } from '../../src/core/errors.js';
import { LISTEN_OPTIONS, numberOption, PTY_OPTIONS, servePty, simulatorMain } from '../common/main.js';
import { SCANNER_PORTS } from './family.js';
import { startScannerSimulator } from './simulator.js';

export const runScannerSimulator = simulatorMain({
  options: {
    ...LISTEN_OPTIONS,
    aim: { type: 'boolean' },
    keymap: { type: 'string' },
    fifo: { type: 'string' },
    ...PTY_OPTIONS,
  },
  async start(values, logger) {
    const keymap = values.keymap ?? 'us';
    if (keymap !== 'us' && keymap !== 'de')
      throw new CarrelError('usage', `--keymap must be us or de, got "${keymap}"`);
    const host = values.host ?? '127.0.0.1';
    const sim = await startScannerSimulator({
      host,
      port: numberOption(values.port, 'port', SCANNER_PORTS.port),
      httpPort: numberOption(values['http-port'], 'http-port', SCANNER_PORTS['http-port']),
      aim: values.aim === true,
      keymap,
      ...(values.fifo ? { fifo: values.fifo } : {}),
      logger,
    });
    const { pty, close } = await servePty(values, sim);
    return {
      banner: [
        'scanner simulator (serial lines ending in CR; magstripe track 2 on swipe)',
        `  serial   tcp://${host}:${sim.port}`,
        ...(pty ? [`  serial   ${pty.hostPath}  (open this end, 9600 8N1)`] : []),
        ...(values.fifo ? [`  evdev    ${values.fifo}  (input_event records, ${keymap} layout)`] : []),
        `  control  ${sim.httpUrl}/api/state  (POST /api/scan, POST /api/swipe, POST /api/raw)`,
      ],
      close,
    };
  },
});
