import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { PrinterSimulator } from './simulator.js';

export const printerSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('printer'),
  host: z.string().default('127.0.0.1'),
  /** ESC/POS port; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API and receipt page; 0 picks a free one. */
  httpPort: portSchema.default(0),
  columns: z.number().int().min(24).max(64).default(42),
});
export type PrinterSimulatorConfig = z.infer<typeof printerSimulatorSchema>;

/** A simulated ESC/POS receipt printer: TCP 9100 (or a pty), with a receipt page. */
/** What `carrel sim printer` listens on when not told (option → port); see SimulatorFamily.ports. */
export const PRINTER_PORTS = { port: 9100, 'http-port': 9180 } as const;

export const printerSimulators = simulatorFamily({
  kind: 'printer',
  config: printerSimulatorSchema,
  summary: 'ESC/POS receipt printer on TCP 9100 (and a pty with --pty), with a receipt page on 9180',
  ports: PRINTER_PORTS,
  async start(config: PrinterSimulatorConfig, logger) {
    const { startPrinterSimulator } = await import('./simulator.js');
    const sim: PrinterSimulator = await startPrinterSimulator({
      id: config.id,
      host: config.host,
      port: config.port,
      httpPort: config.httpPort,
      columns: config.columns,
      logger,
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.escposPort,
      url: sim.httpUrl,
      detail: `ESC/POS on tcp://${config.host}:${sim.escposPort}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runPrinterSimulator,
  demo: {
    simulators: [{ id: 'printer-sim', kind: 'printer', port: 0, httpPort: 0 }],
    devices: [
      {
        id: 'receipt-1',
        kind: 'receipt-printer',
        name: 'Desk receipt printer',
        transport: { type: 'simulator', simulator: 'printer-sim' },
      },
    ],
  },
});
