import { z } from 'zod';
import { deviceIdSchema, portSchema, webOriginSchema } from '../../core/config-values.js';
import { LOG_LEVELS } from '../../core/logger.js';
import { AT_THIS_DESK } from '../contracts/actor.js';
import type { AnyDeviceFamily, ConfigIssueSink, DeskLayout } from '../family.js';
import { offlinePolicySchema } from '../offline/policy.js';
import { paymentsSchema } from '../payments/config.js';
import { printAccountsSchema } from '../print-accounts/config.js';
import { sip2RelaySchema } from '../relay/config.js';
import { sessionsSchema } from '../sessions/config.js';
import { STATISTICS_RETENTION_DAYS } from '../statistics/retention.js';

/**
 * The one configuration schema, assembled from the device families and
 * simulator kinds the composition root lists (src/app/config.ts): the
 * sections every desk has are here, each family brings its `devices[]` entry
 * and its cross-checks, each simulator kind its `simulators[]` entry. The
 * TypeScript type is derived from it, the JSON Schema for editors is generated
 * from it, and every error is reported with its path.
 */
export const CURRENT_CONFIG_VERSION = 2;

export const scopeSchema = z.enum(['kiosk', 'staff', 'admin', 'monitor']);
export type Scope = z.infer<typeof scopeSchema>;

export const tokenSchema = z.strictObject({
  name: z.string().min(1).describe('who holds it, for logs: "kiosk-1", "it-monitoring"'),
  token: z.string().min(16, 'must be at least 16 characters'),
  scopes: z.array(scopeSchema).min(1),
});

export const mqttSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('off') }),
    z.strictObject({
      mode: z.literal('embedded'),
      host: z.string().default('127.0.0.1'),
      port: portSchema.default(1883),
    }),
    z
      .strictObject({
        mode: z.literal('external'),
        url: z
          .string()
          .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
        username: z.string().optional(),
        password: z.string().optional(),
        caFile: z.string().optional().describe('PEM file of the CA that signed the broker’s certificate'),
        certFile: z
          .string()
          .optional()
          .describe('PEM client certificate, for a broker that asks for one (with keyFile)'),
        keyFile: z.string().optional().describe('PEM private key of certFile'),
        protocolVersion: z
          .enum(['3.1.1', '5'])
          .optional()
          .describe(
            'MQTT 5 (the default), or 3.1.1 for an older broker (answers then carry no correlation data)',
          ),
        keepaliveSeconds: z
          .number()
          .int()
          .min(1)
          .max(65_535)
          .optional()
          .describe(
            'MQTT keep-alive in seconds (default 30): the broker publishes the desk’s last will (offline) when it has heard nothing for 1.5 times this',
          ),
      })
      .refine((external) => (external.certFile === undefined) === (external.keyFile === undefined), {
        message: 'certFile and keyFile go together',
        path: ['keyFile'],
      })
      // The MQTT client sends no login with a password alone: the broker would never hear from
      // the desk, which could only say the broker was unreachable.
      .refine((external) => external.password === undefined || external.username !== undefined, {
        message:
          'is required with mqtt.password: the desk’s user on the broker (mqtt.password alone is no login)',
        path: ['username'],
      }),
  ])
  .default({ mode: 'embedded', host: '127.0.0.1', port: 1883 });
export type MqttConfig = z.infer<typeof mqttSchema>;

/** The sections every desk has, whatever its devices. */
export const deskSections = {
  version: z.literal(CURRENT_CONFIG_VERSION),
  site: deviceIdSchema.default('library'),
  gateway: deviceIdSchema.default('desk-1'),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: portSchema.default(8480),
      allowedOrigins: z
        .array(webOriginSchema)
        .default([])
        .describe(
          'pages served from other origins that may call the API from a browser (CORS, WebSockets), such as https://selfcheck.library.example',
        ),
    })
    .prefault({}),
  auth: z
    .strictObject({
      tokens: z
        .array(tokenSchema)
        .default([])
        .superRefine((tokens, ctx) => {
          for (const [i, { name, token }] of tokens.entries()) {
            const said = name.trim().toLowerCase();
            if (said === AT_THIS_DESK || said === 'loopback')
              ctx.addIssue({
                code: 'custom',
                path: [i, 'name'],
                message: `"${said}" is what records say of a caller of a desk without tokens; give this token a name of its own, such as "kiosk-1"`,
              });
            const sameName = tokens.findIndex((t) => t.name === name);
            if (sameName < i)
              ctx.addIssue({
                code: 'custom',
                path: [i, 'name'],
                message: `tokens[${sameName}] has this name too: records could not tell them apart`,
              });
            const sameToken = tokens.findIndex((t) => t.token === token);
            if (sameToken < i)
              ctx.addIssue({
                code: 'custom',
                path: [i, 'token'],
                message: `the same token as tokens[${sameToken}] (${tokens[sameToken]!.name}): each holder needs a token of its own, or records name the wrong one`,
              });
          }
        }),
    })
    .prefault({}),
  mqtt: mqttSchema,
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      format: z
        .enum(['auto', 'json', 'pretty'])
        .default('auto')
        .describe('json for the journal, pretty for a person; auto: pretty when stdout is a terminal'),
    })
    .prefault({}),
  storage: z
    .strictObject({
      /** SQLite database for queues and journals. `STATE_DIRECTORY` (systemd) is used when unset. */
      path: z
        .string()
        .min(1)
        .refine((path) => path !== ':memory:', {
          message:
            "':memory:' would keep nothing: Carrel keeps circulation taken offline, print money and card records in this file — give a file path, or leave storage.path out (systemd's STATE_DIRECTORY, else ./.carrel-state)",
        })
        .optional(),
      /**
       * Days the hourly statistics are kept. The default (400) lets a library set a month
       * beside the same month last year; a statistics query spans at most 366 days.
       */
      statisticsRetentionDays: z.number().int().min(1).max(3660).default(STATISTICS_RETENTION_DAYS),
    })
    .prefault({}),
  systemd: z.strictObject({ watchdog: z.boolean().default(true) }).prefault({}),
  /** Store-and-forward while the ILS cannot be reached: what may be accepted, and how much. Off by default. */
  offline: offlinePolicySchema.prefault({}),
  /** Carrel as a SIP2 server for existing self-checks and sorters, relaying to the desk's ILS. */
  sip2Relay: sip2RelaySchema.optional(),
  /** Self-check sessions: inactivity timeout, PIN rule, the end-of-session receipt. */
  sessions: sessionsSchema.prefault({}),
  /** Patron print accounts: their currency and the largest single amount. */
  printAccounts: printAccountsSchema.prefault({}),
  /** Payments at the desk and the kiosk: the currency, overpayment, limits, the receipt printer. */
  payments: paymentsSchema.prefault({}),
};

const deskSectionsSchema = z.strictObject(deskSections);
/** The configuration without its devices and simulators. */
export type DeskSections = z.infer<typeof deskSectionsSchema>;

/** An entry under `simulators:`: what the config schema needs of a simulator kind. */
export interface SimulatorEntrySchema {
  readonly kind: string;
  readonly config: z.ZodType<{ id: string; kind: string }, unknown>;
  /** Cross-checks of its entry against the rest of the desk (another simulator it names). */
  check?(config: { id: string; kind: string }, layout: DeskLayout, issue: ConfigIssueSink): void;
}

/** A check of the desk sections against the devices (the relay needs an ILS…). */
export type DeskCheck = (
  config: DeskSections & DeskLayout,
  issue: (path: ReadonlyArray<string | number>, message: string) => void,
) => void;

export interface ConfigParts {
  families: readonly AnyDeviceFamily[];
  simulators: readonly SimulatorEntrySchema[];
  checks?: readonly DeskCheck[];
}

/** One entry of a list, chosen by its `kind`. */
function byKind(schemas: ReadonlyArray<z.ZodType>) {
  // Each schema is a strict object whose `kind` is a literal: what a discriminated union takes.
  return z.discriminatedUnion(
    'kind',
    schemas as unknown as [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]],
  );
}

/**
 * The whole configuration schema for a desk with these families and simulator
 * kinds. Typed by the caller (the composition root knows its list).
 */
export function buildConfigSchema(parts: ConfigParts): z.ZodType {
  const families = new Map(parts.families.map((family) => [family.kind, family]));
  const simulatorKinds = new Map(parts.simulators.map((simulator) => [simulator.kind, simulator]));
  return z
    .strictObject({
      ...deskSections,
      devices: z.array(byKind(parts.families.map((family) => family.config))).default([]),
      simulators: z.array(byKind(parts.simulators.map((simulator) => simulator.config))).default([]),
    })
    .superRefine((raw, ctx) => {
      const config = raw as unknown as DeskSections & DeskLayout;
      const issueAt =
        (...prefix: Array<string | number>): ConfigIssueSink =>
        (path, message) =>
          ctx.addIssue({ code: 'custom', path: [...prefix, ...path], message });
      const seen = new Set<string>();
      config.devices.forEach((device, index) => {
        families.get(device.kind)?.check?.(device, config, issueAt('devices', index));
        if (seen.has(device.id)) issueAt('devices', index)(['id'], `duplicate device id "${device.id}"`);
        seen.add(device.id);
      });
      config.simulators.forEach((simulator, index) => {
        simulatorKinds.get(simulator.kind)?.check?.(simulator, config, issueAt('simulators', index));
      });
      duplicates(config.simulators, issueAt('simulators'), 'simulator');
      for (const check of parts.checks ?? []) check(config, issueAt());
    });
}

function duplicates(entries: ReadonlyArray<{ id: string }>, issue: ConfigIssueSink, noun: 'simulator'): void {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.id)) issue([index, 'id'], `duplicate ${noun} id "${entry.id}"`);
    seen.add(entry.id);
  });
}
