import { z } from 'zod';
import { describeZodIssue, formatConfigPath } from '../../src/core/config-issues.js';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { itemTagFields, itemTagId, itemTagProblem } from '../../src/protocols/rfid/index.js';
import { simulatorFamily } from '../common/family.js';
import type { RfidPadSimulator } from './simulator.js';

/** An item's tag on a simulated pad, encoded as ISO 28560-3 from its barcode. */
export const padItemTagSchema = z
  .strictObject({
    /** The item's barcode (or a patron's card number with `usage: patron-card`). */
    item: itemTagId.describe(
      'the item barcode, e.g. 31000004 (a patron card number with usage: patron-card)',
    ),
    usage: itemTagFields.usage,
    /** Owner library ISIL; the sample library's by default. */
    owner: itemTagFields.owner.default('SE-RPL').describe('owner library ISIL'),
    /** One part of a multi-part item. */
    set: itemTagFields.set,
    /** true: AFI 0x07 and EAS on, as on the shelf; false: 0xC2 and EAS off, as on loan; an item secured, a patron card not when not said. */
    secured: itemTagFields.secured.describe(
      'true: AFI 0x07 and EAS on (on the shelf); false: AFI 0xC2 and EAS off (on loan); by default an item is secured and a patron card is not',
    ),
    /** A damaged tag: it answers the inventory, but every read of its memory fails with the tag's own error. */
    unreadable: z
      .boolean()
      .optional()
      .describe(
        'true: a damaged tag (a cracked inlay, a failing chip): it answers the inventory and its system information, but every read of its memory fails with the tag’s own error',
      ),
  })
  .superRefine((tag, ctx) => {
    // The encoder's own checks, once the fields themselves are right.
    if (!/^[\x20-\x7E]+$/.test(tag.item)) return;
    const problem = itemTagProblem({ ...tag, id: tag.item });
    const path = problem?.field === 'id' ? ['item'] : problem?.field ? [problem.field] : [];
    if (problem) ctx.addIssue({ code: 'custom', path, message: problem.message });
  });
export type PadItemTagConfig = z.infer<typeof padItemTagSchema>;

const PAD_TAG_PRESETS = ['V1', 'V2', 'V3', 'V5', 'blank'] as const;

/**
 * A tag on a simulated pad: a reference tag's name, or an item. The error says what is wrong
 * with the form the user wrote, not merely that neither form matched.
 */
const padTagSchema = z.union([z.enum(PAD_TAG_PRESETS), padItemTagSchema], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const itemIssues = issue.input !== null && typeof issue.input === 'object' ? issue.errors[1] : undefined;
    if (!itemIssues?.length)
      return `must be one of ${PAD_TAG_PRESETS.join(', ')}, or an item such as { item: "31000004" }`;
    const problems = itemIssues.map((inner) => {
      const where = inner.path.length > 0 ? `${formatConfigPath(inner.path)}: ` : '';
      // Zod's own wording is replaced by Carrel's sentence; the schema's own messages are kept.
      return `${where}${describeZodIssue(inner, !inner.message.startsWith('\u0000'))}`;
    });
    return `is not a valid item tag (${problems.join('; ')})`;
  },
});

export const rfidPadSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('rfid-pad'),
  host: z.string().default('127.0.0.1'),
  /** The in-process pad speaks FEIG over TCP (`carrel sim rfid-pad --pty` serves ptys and the 3M protocol). */
  protocol: z.literal('feig').default('feig'),
  /** FEIG over TCP; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API (place and remove tags); 0 picks a free one. */
  httpPort: portSchema.default(0),
  /**
   * Tags on the pad at start: ISO 28560 reference tags (V1, V2, V3, V5: library items on the shelf,
   * AFI 0x07), `blank` (a chip as its maker ships it: no data, AFI 0x00) and library items or patron
   * cards by barcode, e.g. `{ item: "31000004" }`.
   */
  tags: z.array(padTagSchema).default([]),
});
export type RfidPadSimulatorConfig = z.infer<typeof rfidPadSimulatorSchema>;

/** A simulated RFID pad with virtual tags: FEIG over TCP in process (a pty and 3M with `carrel sim`). */
/** What `carrel sim rfid-pad` listens on when not told (option → port); see SimulatorFamily.ports. */
export const RFID_PAD_PORTS = { port: 10001, 'http-port': 10080 } as const;

export const rfidPadSimulators = simulatorFamily({
  kind: 'rfid-pad',
  config: rfidPadSimulatorSchema,
  summary: 'RFID pad with virtual tags: FEIG on TCP 10001 or a pty, 3M on a pty, control API on 10080',
  ports: RFID_PAD_PORTS,
  async start(config: RfidPadSimulatorConfig) {
    const { startRfidPadSimulator } = await import('./simulator.js');
    const sim: RfidPadSimulator = await startRfidPadSimulator({
      protocol: config.protocol,
      host: config.host,
      tcpPort: config.port,
      httpPort: config.httpPort,
      tags: config.tags.map((tag) =>
        typeof tag === 'string'
          ? { preset: tag }
          : {
              item: {
                id: tag.item,
                usage: tag.usage,
                owner: tag.owner,
                ...(tag.secured !== undefined ? { secured: tag.secured } : {}),
                ...(tag.set ? { set: tag.set } : {}),
              },
              ...(tag.unreadable ? { unreadable: true } : {}),
            },
      ),
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.tcpPort!,
      url: sim.httpUrl,
      detail: `FEIG on tcp://${config.host}:${sim.tcpPort}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runRfidPadSimulator,
  demo: {
    simulators: [
      {
        id: 'pad-sim',
        kind: 'rfid-pad',
        port: 0,
        httpPort: 0,
        // Sofies verden and Tintin in Tibet, on the shelf in the sample library: a kiosk or a release
        // station on the desk pad finds items the library system knows, not refusals before anyone
        // did anything. An unknown item is a tag placed on purpose (the ISO 28560 reference tag V1:
        // POST {"preset":"V1"} to the pad's control API).
        tags: [{ item: '31000026' }, { item: '31000030' }],
      },
      {
        id: 'selfcheck-sim',
        kind: 'rfid-pad',
        port: 0,
        httpPort: 0,
        // Middlemarch and Dune, on the shelf in the sample library (secured: AFI 0x07, EAS on).
        tags: [{ item: '31000004' }, { item: '31000005' }],
      },
    ],
    devices: [
      {
        id: 'pad-1',
        kind: 'rfid-reader',
        name: 'Desk RFID pad',
        protocol: 'feig',
        transport: { type: 'simulator', simulator: 'pad-sim' },
      },
      {
        id: 'selfcheck-1',
        kind: 'rfid-reader',
        name: 'Self-check pad',
        protocol: 'feig',
        transport: { type: 'simulator', simulator: 'selfcheck-sim' },
      },
    ],
  },
});
