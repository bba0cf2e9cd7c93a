import { CarrelError } from '../../core/errors.js';
import type { Command } from './index.js';

const SIMULATORS: Record<
  string,
  { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }
> = {
  printer: {
    summary: 'ESC/POS receipt printer on TCP 9100 (and a pty with --pty), with a receipt page',
    load: async () => (await import('../../../simulators/printer/main.js')).runPrinterSimulator,
  },
  ils: {
    summary:
      'SIP2 2.00 ILS on TCP 6001 (TLS with --tls-cert/--tls-key), driven by a library fixture, control API (faults) on 6080',
    load: async () => (await import('../../../simulators/ils/main.js')).runIlsSimulator,
  },
  gate: {
    summary:
      'FEIG security gate: dials Carrel with notifications (--host/--port), commands on 10002, control on 10090',
    load: async () => (await import('../../../simulators/gate/main.js')).runGateSimulator,
  },
  'rfid-pad': {
    summary: 'RFID pad with virtual tags: FEIG on TCP 10001 or a pty, 3M on a pty, control API on 10080',
    load: async () => (await import('../../../simulators/rfid-pad/main.js')).runRfidPadSimulator,
  },
};

export const simCommand: Command = {
  async run(argv) {
    const [kind, ...rest] = argv;
    const simulator = kind ? SIMULATORS[kind] : undefined;
    if (!simulator) {
      const list = Object.entries(SIMULATORS)
        .map(([name, s]) => `  ${name.padEnd(10)} ${s.summary}`)
        .join('\n');
      throw new CarrelError(
        'usage',
        `${kind ? `unknown simulator "${kind}"` : 'which simulator?'}\nsimulators:\n${list}`,
      );
    }
    const run = await simulator.load();
    return run(rest);
  },
};
