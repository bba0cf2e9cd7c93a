import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { CashSimulator } from './simulator.js';

const address = z.number().int().min(2).max(255);

export const cashSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('cash'),
  host: z.string().default('127.0.0.1'),
  /** ccTalk over TCP; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API (insert coins and notes, faults); 0 picks a free one. */
  httpPort: portSchema.default(0),
  currency: z.enum(['EUR', 'USD']).default('EUR'),
  /** The coin acceptor's address on the bus; null: none. */
  coinAddress: address.nullable().default(2),
  /** The bill validator's address; null: none. */
  billAddress: address.nullable().default(40),
  /** A note left in escrow this long goes back to the patron. */
  escrowTimeoutSeconds: z.number().min(1).max(600).default(30),
});
export type CashSimulatorConfig = z.infer<typeof cashSimulatorSchema>;

/** A simulated ccTalk bus: a coin acceptor and a bill validator with escrow, on TCP (and a pty with --pty). */
/** What `carrel sim cash` listens on when not told (option → port); see SimulatorFamily.ports. */
export const CASH_PORTS = { port: 10050, 'http-port': 10051 } as const;

export const cashSimulators = simulatorFamily({
  kind: 'cash',
  config: cashSimulatorSchema,
  summary:
    'ccTalk coin acceptor and bill validator on one bus, TCP 10050 (a pty with --pty); control API on 10051',
  ports: CASH_PORTS,
  async start(config: CashSimulatorConfig, logger) {
    const { startCashSimulator } = await import('./simulator.js');
    const sim: CashSimulator = await startCashSimulator({
      host: config.host,
      port: config.port,
      httpPort: config.httpPort,
      currency: config.currency,
      coinAddress: config.coinAddress,
      billAddress: config.billAddress,
      escrowTimeoutMs: config.escrowTimeoutSeconds * 1000,
      logger,
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.port,
      url: sim.httpUrl,
      detail: `ccTalk (${config.currency}) on tcp://${config.host}:${sim.port}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runCashSimulator,
  demo: {
    simulators: [{ id: 'cash-sim', kind: 'cash' }],
    devices: [
      {
        id: 'coins-1',
        kind: 'cash-device',
        name: 'Kiosk coin acceptor',
        device: 'coin-acceptor',
        transport: { type: 'simulator', simulator: 'cash-sim' },
        // A kiosk coin acceptor's cash box, as in config/carrel.example.yaml: with it the dashboard
        // and /metrics say how full the box is, and near full from 90 %.
        cashBoxCapacity: 800,
      },
      {
        id: 'notes-1',
        kind: 'cash-device',
        name: 'Kiosk note acceptor',
        device: 'bill-validator',
        transport: { type: 'simulator', simulator: 'cash-sim' },
        // A note validator's stacker.
        cashBoxCapacity: 600,
      },
    ],
  },
});
