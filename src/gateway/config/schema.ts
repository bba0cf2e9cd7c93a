import { z } from 'zod';
import { ilsConfigSchema } from '../../devices/ils/config.js';
import { DEFAULT_HUNG_AFTER_MISSED_REPLIES, DEFAULT_RFID_TIMEOUTS } from '../../devices/rfid/index.js';
import { itemTagFields, itemTagId, itemTagProblem } from '../../protocols/rfid/index.js';
import { offlinePolicySchema } from '../offline/policy.js';
import { sip2RelaySchema } from '../relay/config.js';
import { sessionsSchema } from '../sessions/config.js';
import { STATISTICS_RETENTION_DAYS } from '../statistics/retention.js';
import { describeZodIssue, formatConfigPath } from './issues.js';

/**
 * The one configuration schema. The TypeScript type is derived from it, the
 * JSON Schema for editors is generated from it (`carrel config schema`), and
 * every error is reported with its path.
 */
export const CURRENT_CONFIG_VERSION = 1;

const port = z.number().int().min(0).max(65535);
const deviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_" (at most 63)');

export const scopeSchema = z.enum(['kiosk', 'staff', 'admin', 'monitor']);
export type Scope = z.infer<typeof scopeSchema>;

export const tcpTransportSchema = z.strictObject({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: port.min(1),
  connectTimeoutMs: z.number().int().positive().default(3000),
});

export const serialTransportSchema = z.strictObject({
  type: z.literal('serial'),
  path: z.string().min(1).describe('e.g. /dev/ttyUSB0 or /dev/serial/by-id/…'),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  rtscts: z.boolean().default(false),
});

export const lpTransportSchema = z.strictObject({
  type: z.literal('lp'),
  path: z.string().regex(/^\/dev\//, 'must be a device path such as /dev/usb/lp0'),
});

export const simulatorTransportSchema = z.strictObject({
  type: z.literal('simulator'),
  simulator: deviceId.describe('id of an entry under `simulators`'),
});

export const transportSchema = z.discriminatedUnion('type', [
  tcpTransportSchema,
  serialTransportSchema,
  lpTransportSchema,
  simulatorTransportSchema,
]);
export type TransportConfig = z.infer<typeof transportSchema>;

export const receiptPrinterSchema = z.strictObject({
  id: deviceId,
  kind: z.literal('receipt-printer'),
  name: z.string().optional(),
  transport: transportSchema,
  /** Characters per line at the normal font: 42 on 80 mm paper, 32 on 58 mm. */
  columns: z.number().int().min(24).max(64).default(42),
  /** Code page for accented names; see the receiptline encodings. */
  encoding: z
    .enum(['cp437', 'cp850', 'cp852', 'cp858', 'cp860', 'cp863', 'cp865', 'cp866', 'cp1252', 'multilingual'])
    .default('cp858'),
  /** How often the real-time status (DLE EOT) is polled. */
  statusIntervalMs: z.number().int().min(100).max(60_000).default(1000),
  /** A status query unanswered for this long means the printer is gone. */
  statusTimeoutMs: z.number().int().min(100).max(60_000).default(1500),
  /** Jobs waiting at most; more are refused with queue_full. */
  queueLimit: z.number().int().min(1).max(10_000).default(200),
  /** A job still waiting after this long is reported as expired, not printed late. */
  jobExpiryMinutes: z
    .number()
    .int()
    .min(1)
    .default(24 * 60),
  /** Directory of receipt templates overriding the built-in ones. */
  templates: z.string().optional(),
  /** PNG logo printed where a template says {{{logo}}}. */
  logo: z.string().optional(),
});
export type ReceiptPrinterConfig = z.infer<typeof receiptPrinterSchema>;

const afiByte = z.number().int().min(0).max(255);

export const rfidReaderSchema = z.strictObject({
  id: deviceId,
  kind: z.literal('rfid-reader'),
  name: z.string().optional(),
  /** FEIG advanced host protocol (serial 38400 8E1 or TCP 10001), or the 3M 810 pad protocol (serial 19200 8N1). */
  protocol: z.enum(['feig', '3m']),
  transport: transportSchema,
  /** Pause between inventory rounds. */
  inventoryIntervalMs: z.number().int().min(20).max(10_000).default(200),
  /** A tag missing from this many rounds in a row has left the pad. */
  leaveAfterMissedRounds: z.number().int().min(1).max(50).default(3),
  /** An inventory the reader has not answered within this long is a missed reply (raise it for long-range readers). */
  inventoryTimeoutMs: z.number().int().min(100).max(10_000).default(DEFAULT_RFID_TIMEOUTS.inventory),
  /** This many reader commands in a row without a reply mean the reader is hung: shown offline and reconnected. */
  hungAfterMissedReplies: z.number().int().min(1).max(20).default(DEFAULT_HUNG_AFTER_MISSED_REPLIES),
  security: z
    .strictObject({
      /** How the library's gates see security: the AFI (ISO 28560), NXP EAS, or both. */
      method: z.enum(['afi', 'eas', 'afi+eas']).default('afi'),
      /** AFI of an item in the library (gates alarm): 0x07 by the standard. */
      securedAfi: afiByte.default(0x07),
      /** AFI of an item on loan: 0xC2 by the standard; some sites use 0x21 or 0xD7/0xDA. */
      unsecuredAfi: afiByte.default(0xc2),
      /** Writes that failed (tag pulled away) are retried this often when the tag returns. */
      maxAttempts: z.number().int().min(1).max(50).default(5),
    })
    .prefault({}),
});
export type RfidReaderConfig = z.infer<typeof rfidReaderSchema>;

export const deviceSchema = z.discriminatedUnion('kind', [receiptPrinterSchema, rfidReaderSchema]);
export type DeviceConfig = z.infer<typeof deviceSchema>;

export const printerSimulatorSchema = z.strictObject({
  id: deviceId,
  kind: z.literal('printer'),
  host: z.string().default('127.0.0.1'),
  /** ESC/POS port; 0 picks a free one. */
  port: port.default(0),
  /** Control API and receipt page; 0 picks a free one. */
  httpPort: port.default(0),
  columns: z.number().int().min(24).max(64).default(42),
});
export const ilsSimulatorSchema = z.strictObject({
  id: deviceId,
  kind: z.literal('ils'),
  host: z.string().default('127.0.0.1'),
  /** SIP2 port; 0 picks a free one. */
  port: port.default(0),
  /** Control API on loopback (state, faults: hang, slow, drop); 0 picks a free one. */
  httpPort: port.default(0),
  /** Library fixture (docs/ils-fixture.md); the sample library when absent. */
  fixture: z.string().optional(),
});

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
    /** true: AFI 0x07, as on the shelf; false: 0xC2, as on loan. */
    secured: itemTagFields.secured.describe('true: AFI 0x07 (on the shelf); false: 0xC2 (on loan)'),
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
  id: deviceId,
  kind: z.literal('rfid-pad'),
  host: z.string().default('127.0.0.1'),
  /** The in-process pad speaks FEIG over TCP (`carrel sim rfid-pad --pty` serves ptys and the 3M protocol). */
  protocol: z.literal('feig').default('feig'),
  /** FEIG over TCP; 0 picks a free one. */
  port: port.default(0),
  /** Control API (place and remove tags); 0 picks a free one. */
  httpPort: port.default(0),
  /**
   * Tags on the pad at start: ISO 28560 reference tags (V1, V2, V3, V5, blank) and library
   * items by barcode, e.g. `{ item: "31000004" }`.
   */
  tags: z.array(padTagSchema).default([]),
});

export const simulatorSchema = z.discriminatedUnion('kind', [
  printerSimulatorSchema,
  ilsSimulatorSchema,
  rfidPadSimulatorSchema,
]);
export type SimulatorConfig = z.infer<typeof simulatorSchema>;

export const tokenSchema = z.strictObject({
  name: z.string().min(1).describe('who holds it, for logs: "kiosk-1", "it-monitoring"'),
  token: z.string().min(16, 'must be at least 16 characters'),
  scopes: z.array(scopeSchema).min(1),
});

export const configSchema = z
  .strictObject({
    version: z.literal(CURRENT_CONFIG_VERSION),
    site: deviceId.default('library'),
    gateway: deviceId.default('desk-1'),
    http: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: port.default(8480),
      })
      .prefault({}),
    auth: z.strictObject({ tokens: z.array(tokenSchema).default([]) }).prefault({}),
    mqtt: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('off') }),
        z.strictObject({
          mode: z.literal('embedded'),
          host: z.string().default('127.0.0.1'),
          port: port.default(1883),
        }),
        z.strictObject({
          mode: z.literal('external'),
          url: z
            .string()
            .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
          username: z.string().optional(),
          password: z.string().optional(),
          caFile: z.string().optional(),
        }),
      ])
      .default({ mode: 'embedded', host: '127.0.0.1', port: 1883 }),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
    storage: z
      .strictObject({
        /** SQLite database for queues and journals. `STATE_DIRECTORY` (systemd) is used when unset. */
        path: z.string().optional(),
        /**
         * Days the hourly statistics are kept. The default (400) lets a library set a month
         * beside the same month last year; a statistics query spans at most 366 days.
         */
        statisticsRetentionDays: z.number().int().min(1).max(3660).default(STATISTICS_RETENTION_DAYS),
      })
      .prefault({}),
    systemd: z.strictObject({ watchdog: z.boolean().default(true) }).prefault({}),
    /** The ILS over SIP2. `simulator` names an `ils` simulator instead of host and port. */
    ils: ilsConfigSchema
      .extend({
        host: z.string().min(1).optional(),
        port: port.min(1).optional(),
        simulator: deviceId.optional(),
      })
      .refine((ils) => ils.simulator !== undefined || (ils.host !== undefined && ils.port !== undefined), {
        message: 'give host and port, or the id of an ils simulator',
      })
      .optional(),
    /** Store-and-forward while the ILS cannot be reached: what may be accepted, and how much. Off by default. */
    offline: offlinePolicySchema.prefault({}),
    /** Carrel as a SIP2 server for existing self-checks and sorters, relaying to the ILS. */
    sip2Relay: sip2RelaySchema.optional(),
    /** Self-check sessions: inactivity timeout, PIN rule, the end-of-session receipt. */
    sessions: sessionsSchema.prefault({}),
    devices: z.array(deviceSchema).default([]),
    simulators: z.array(simulatorSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, index) => {
      if (device.id === 'ils' && config.ils !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'id'],
          message: 'the id "ils" is the ILS link\'s own; choose another',
        });
      }
      if (seen.has(device.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', index, 'id'],
          message: `duplicate device id "${device.id}"`,
        });
      }
      seen.add(device.id);
      if (device.transport.type === 'simulator') {
        const simulatorId = device.transport.simulator;
        if (!config.simulators.some((s) => s.id === simulatorId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['devices', index, 'transport', 'simulator'],
            message: `no simulator with id "${simulatorId}" is configured`,
          });
        }
      }
    });
    const simulatorKind = (id: string) => config.simulators.find((s) => s.id === id)?.kind;
    if (config.ils?.simulator !== undefined && simulatorKind(config.ils.simulator) !== 'ils') {
      ctx.addIssue({
        code: 'custom',
        path: ['ils', 'simulator'],
        message: `no ils simulator with id "${config.ils.simulator}" is configured`,
      });
    }
    if (config.sip2Relay !== undefined && config.ils === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sip2Relay'],
        message: 'the SIP2 relay needs an ils section to relay to',
      });
    }
    const receiptPrinter = config.sessions.receipt.printer;
    if (
      receiptPrinter !== undefined &&
      !config.devices.some((d) => d.id === receiptPrinter && d.kind === 'receipt-printer')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['sessions', 'receipt', 'printer'],
        message: `no receipt printer with id "${receiptPrinter}" is configured`,
      });
    }
    const simIds = new Set<string>();
    config.simulators.forEach((sim, index) => {
      if (simIds.has(sim.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['simulators', index, 'id'],
          message: `duplicate simulator id "${sim.id}"`,
        });
      }
      simIds.add(sim.id);
    });
  });

export type CarrelConfig = z.infer<typeof configSchema>;
export type CarrelConfigInput = z.input<typeof configSchema>;
