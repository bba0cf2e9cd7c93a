import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { CardPrinterSimulator } from './simulator.js';

export const cardPrinterSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('card-printer'),
  /** Which printer it plays: `evolis` (ESC commands) or `magicard` (spool jobs, REQ,STA queries). */
  model: z.enum(['evolis', 'magicard']).default('evolis'),
  host: z.string().default('127.0.0.1'),
  /** The printer's stream over TCP; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API and page (printed cards as PNG, faults); 0 picks a free one. */
  httpPort: portSchema.default(0),
  /** The ribbon loaded: `ymcko` (colour) or `k` (black). */
  ribbon: z.enum(['ymcko', 'k']).default('ymcko'),
  ribbonPanels: z.number().int().min(0).max(10_000).default(1000),
  feeder: z.number().int().min(0).max(500).default(100),
  /**
   * The simulated RFID pad (a simulator of this desk) that is the printer's encoding station: each
   * card printed lays its fresh chip there, the card printed before taken off.
   */
  encoderPad: deviceIdSchema.optional(),
});
export type CardPrinterSimulatorConfig = z.infer<typeof cardPrinterSimulatorSchema>;

/** A simulated Evolis or Magicard card printer: its stream on TCP (a pty with --pty), cards as PNG. */
/** What `carrel sim card-printer` listens on when not told (option → port); see SimulatorFamily.ports. */
export const CARD_PRINTER_PORTS = { port: 10060, 'http-port': 10061 } as const;

export const cardPrinterSimulators = simulatorFamily({
  kind: 'card-printer',
  config: cardPrinterSimulatorSchema,
  summary:
    'Evolis (ESC commands, panels, magstripe) or Magicard (--model magicard: spool jobs, REQ,STA) card printer, TCP 10060 (a pty with --pty); cards on 10061',
  ports: CARD_PRINTER_PORTS,
  check(config, layout, issue) {
    if (config.encoderPad === undefined) return;
    const named = layout.simulators.find((simulator) => simulator.id === config.encoderPad);
    if (named?.kind === 'rfid-pad') return;
    const pads = layout.simulators.filter((simulator) => simulator.kind === 'rfid-pad').map((pad) => pad.id);
    const what = named
      ? `simulator "${config.encoderPad}" is a ${named.kind} simulator, not an rfid-pad one`
      : `no simulator with id "${config.encoderPad}" is configured`;
    issue(
      ['encoderPad'],
      `${what}: name the rfid-pad simulator the printer lays its cards on (${pads.length > 0 ? `here: ${pads.join(', ')}` : 'add one under simulators'}), or leave encoderPad out`,
    );
  },
  async start(config: CardPrinterSimulatorConfig, logger, desk) {
    const { startCardPrinterSimulator } = await import('./simulator.js');
    const sim: CardPrinterSimulator = await startCardPrinterSimulator({
      make: config.model,
      host: config.host,
      port: config.port,
      httpPort: config.httpPort,
      ribbon: config.ribbon,
      ribbonPanels: config.ribbonPanels,
      feeder: config.feeder,
      logger,
    });
    if (config.encoderPad !== undefined) {
      const { feedEncoder } = await import('./encoder-feed.js');
      feedEncoder(sim, config.encoderPad, desk, logger);
    }
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.port,
      url: sim.httpUrl,
      detail: `${config.model === 'magicard' ? 'Magicard' : 'Evolis'} (${config.ribbon}) on tcp://${config.host}:${sim.port}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runCardPrinterSimulator,
  // The printer's own encoding pad beside it, as a desk issuing chip cards has one: the desk pad
  // (pad-1) holds the books being lent, and a card's chip is written only with the card alone on its
  // pad. Each card printed comes there with its fresh chip (the card before taken off), so the demo
  // encodes one card after another as a real desk does; books or another card laid there are refused.
  demo: {
    simulators: [
      { id: 'card-printer-sim', kind: 'card-printer', encoderPad: 'card-pad-sim' },
      { id: 'card-pad-sim', kind: 'rfid-pad', port: 0, httpPort: 0 },
    ],
    devices: [
      {
        id: 'cards-1',
        kind: 'card-printer',
        name: 'Desk card printer',
        transport: { type: 'simulator', simulator: 'card-printer-sim' },
        rfid: { reader: 'card-pad' },
      },
      {
        id: 'card-pad',
        kind: 'rfid-reader',
        name: 'Card encoding pad',
        protocol: 'feig',
        transport: { type: 'simulator', simulator: 'card-pad-sim' },
      },
    ],
  },
});
