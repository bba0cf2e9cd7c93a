/**
 * How Carrel reaches the ILS over SIP2. One schema: the gateway's config embeds
 * it, the `carrel sip2` console builds one from its options.
 */
import { z } from 'zod';
import { SIP2_CHARSETS } from '../../protocols/sip2/index.js';

const sip2Value = z
  .string()
  .max(255)
  .regex(/^[^|\r\n]*$/, 'no "|" or line breaks');

/**
 * A vendor field added to requests: `{ id: 'XY', value: 'kiosk-7' }` (or a
 * lower-case id, `zq`) on every request, or only on the messages listed (by
 * code, `['11', '09']`).
 */
export const ilsExtraFieldSchema = z
  .object({
    // Letters of either case or digits, as vendors' ids are (Koha's custom fields, `zq`); the
    // decoder reads them alike. AY and AZ are SIP2's error detection, written by the link itself.
    id: z
      .string()
      .regex(/^[A-Za-z0-9]{2}$/, 'two letters (either case) or digits')
      .refine((id) => id !== 'AY' && id !== 'AZ', 'AY and AZ are the error detection, not a vendor field'),
    value: sip2Value,
    messages: z
      .array(z.string().regex(/^\d\d$/, 'a 2-digit SIP2 message code'))
      .min(1)
      .optional(),
  })
  .strict();

/** The TLS settings of a link to the ILS, as fields (a transport adds them to its own). */
export const ilsTlsFields = {
  /** PEM file of the CA that signed the ILS's certificate (default: the system's CAs). */
  caFile: z.string().min(1).optional(),
  /** Client certificate and key (PEM files) for ILSs that ask for one. */
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  /** Name the ILS's certificate must carry, sent as SNI (default: host). */
  serverName: z.string().min(1).optional(),
  rejectUnauthorized: z.boolean().default(true),
};

/** certFile and keyFile go together. */
export const certAndKeyTogether = {
  check: (tls: { certFile?: string | undefined; keyFile?: string | undefined }) =>
    (tls.certFile === undefined) === (tls.keyFile === undefined),
  message: 'certFile and keyFile go together',
} as const;

export const ilsTlsSchema = z
  .strictObject(ilsTlsFields)
  .refine(certAndKeyTogether.check, { message: certAndKeyTogether.message });

export const ilsPoolSchema = z
  .object({
    /** Connections kept open to the ILS (in per-transaction mode: transactions at once). */
    size: z.number().int().min(1).max(64).default(2),
    /** Requests that may wait for a connection before new ones are refused as busy. */
    maxWaiting: z.number().int().min(0).max(10_000).default(50),
  })
  .strict();

export const ilsConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** SIP2 over TLS; plain TCP when absent. */
    tls: ilsTlsSchema.optional(),
    /** 93 login user (CN). No login is sent when absent. */
    user: sip2Value.min(1).optional(),
    /** 93 login password (CO). */
    password: sip2Value.default(''),
    /** Location code (CP in the login; AP current location in checkins). */
    location: sip2Value.default(''),
    /** Institution id (AO) on every request. */
    institution: sip2Value.default(''),
    /** Terminal password (AC) on requests that carry one. */
    terminalPassword: sip2Value.default(''),
    charset: z.enum(SIP2_CHARSETS as ['ascii', 'utf-8', 'iso-8859-1', 'ibm850']).default('utf-8'),
    /** AY/AZ sequence numbers and checksums. */
    errorDetection: z.boolean().default(true),
    terminator: z.enum(['CR', 'CRLF']).default('CR'),
    /** IANA zone of the ILS's local time (dates we send); default the machine's. */
    timeZone: z.string().min(1).optional(),
    /** SC status (99) on each idle connection this often; 0 turns it off. */
    heartbeatSeconds: z.number().int().min(0).max(3600).default(60),
    requestTimeoutMs: z.number().int().min(50).max(600_000).default(10_000),
    connectTimeoutMs: z.number().int().min(50).max(600_000).default(5_000),
    /** How often one request is re-sent for a 96, or its answer asked for again (97). */
    maxResends: z.number().int().min(0).max(10).default(3),
    /** Average round trip above which the link counts as degraded. */
    slowRoundTripMs: z.number().int().min(1).default(2_000),
    pool: ilsPoolSchema.default({ size: 2, maxWaiting: 50 }),
    /** Connect, log in, send one request, end the session and close, for every request. */
    perTransaction: z.boolean().default(false),
    extraFields: z.array(ilsExtraFieldSchema).default([]),
  })
  .strict();

export type IlsConfig = z.infer<typeof ilsConfigSchema>;
export type IlsConfigInput = z.input<typeof ilsConfigSchema>;
export type IlsExtraField = z.infer<typeof ilsExtraFieldSchema>;

/** Parses and fills defaults; throws a ZodError naming each bad key. */
export function parseIlsConfig(input: IlsConfigInput): IlsConfig {
  return ilsConfigSchema.parse(input);
}
