import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { ScannerSimulator } from './simulator.js';

export const scannerSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('scanner'),
  host: z.string().default('127.0.0.1'),
  /** The serial scanner over TCP; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API (scan a code, swipe a card); 0 picks a free one. */
  httpPort: portSchema.default(0),
  terminator: z.enum(['cr', 'lf', 'crlf', 'tab', 'etx']).default('cr'),
  /** Send AIM symbology identifiers before each code. */
  aim: z.boolean().default(false),
  /** The layout the keyboard wedge types in. */
  keymap: z.enum(['us', 'de']).default('us'),
  /** A FIFO to type scans into as input_event records (a keyboard-wedge scanner's stand-in). */
  fifo: z.string().min(1).optional(),
  /** Where pcscd's vpcd reader (Debian's vsmartcard-vpcd) waits for the virtual contactless card. */
  vpcd: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: portSchema.min(1).default(35963) })
    .prefault({}),
});
export type ScannerSimulatorConfig = z.infer<typeof scannerSimulatorSchema>;

/** A simulated barcode scanner and magstripe reader: serial lines on TCP (a pty with --pty), keystrokes into a FIFO. */
/** What `carrel sim scanner` listens on when not told (option → port); see SimulatorFamily.ports. */
export const SCANNER_PORTS = { port: 10070, 'http-port': 10071 } as const;

export const scannerSimulators = simulatorFamily({
  kind: 'scanner',
  config: scannerSimulatorSchema,
  summary:
    'barcode scanner and magstripe reader: serial lines on TCP 10070 (a pty with --pty), input_event records into a FIFO (--fifo); control API on 10071',
  ports: SCANNER_PORTS,
  async start(config: ScannerSimulatorConfig, logger) {
    const { startScannerSimulator } = await import('./simulator.js');
    const sim: ScannerSimulator = await startScannerSimulator({
      host: config.host,
      port: config.port,
      httpPort: config.httpPort,
      terminator: config.terminator,
      aim: config.aim,
      keymap: config.keymap,
      ...(config.fifo ? { fifo: config.fifo } : {}),
      vpcd: config.vpcd,
      logger,
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.port,
      url: sim.httpUrl,
      detail: `serial scanner on tcp://${config.host}:${sim.port}${config.fifo ? `, evdev FIFO ${config.fifo}` : ''}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runScannerSimulator,
  demo: {
    simulators: [{ id: 'scanner-sim', kind: 'scanner' }],
    devices: [
      {
        id: 'scanner-1',
        kind: 'scanner',
        name: 'Kiosk barcode scanner',
        driver: 'serial',
        transport: { type: 'simulator', simulator: 'scanner-sim' },
        classify: { patron: ['^21\\d{6}$'], item: ['^31\\d{6}$'] },
      },
    ],
  },
});
