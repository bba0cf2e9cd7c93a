import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { PrintServerSimulator } from './simulator.js';

export const printServerSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('print-server'),
  host: z.string().default('127.0.0.1'),
  /** IPP, control API and page on one port; 0 picks a free one. */
  port: portSchema.default(0),
  /** Its queues (`ipp://host:port/printers/<queue>`). */
  queues: z.array(deviceIdSchema).min(1).max(16).default(['public-bw']),
  /** How long the simulated printer takes per impression. */
  pageMs: z.number().int().min(1).max(60_000).default(200),
  /** Every queue holds jobs until released (job-hold-until=indefinite), as a release-station queue does. */
  holdAll: z.boolean().default(true),
});
export type PrintServerSimulatorConfig = z.infer<typeof printServerSimulatorSchema>;

/** A simulated IPP print server (what CUPS is at a library), its queues holding jobs for release. */
/** What `carrel sim print-server` listens on when not told (option → port); see SimulatorFamily.ports. */
export const PRINT_SERVER_PORTS = { port: 8631 } as const;

export const printServerSimulators = simulatorFamily({
  kind: 'print-server',
  config: printServerSimulatorSchema,
  summary:
    'IPP print server on 8631 holding jobs for release (Print-Job, Get-Jobs, Release-Job…), with a page of printed pages',
  ports: PRINT_SERVER_PORTS,
  async start(config: PrintServerSimulatorConfig, logger) {
    const { startPrintServerSimulator } = await import('./simulator.js');
    const sim: PrintServerSimulator = await startPrintServerSimulator({
      id: config.id,
      host: config.host,
      port: config.port,
      queues: config.queues,
      pageMs: config.pageMs,
      holdAll: config.holdAll,
      logger,
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.port,
      url: sim.url,
      detail: `IPP on ${sim.queueUrl()}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runPrintServerSimulator,
  demo: {
    simulators: [{ id: 'print-server', kind: 'print-server', port: 0, queues: ['public-bw'] }],
    devices: [
      {
        id: 'public-bw',
        kind: 'print-queue',
        name: 'Public printer (black and white)',
        transport: { type: 'simulator', simulator: 'print-server', queue: 'public-bw' },
      },
    ],
  },
});
