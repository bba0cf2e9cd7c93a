/**
 * The SIP2 relay's settings: where Carrel listens as a SIP2 server for existing
 * self-checks and sorters, how each of them logs in, and which ILS account it
 * is relayed as.
 */
import { z } from 'zod';
import type { IlsConfig } from '../../devices/ils/index.js';
import { SIP2_CHARSETS } from '../../protocols/sip2/index.js';

const sip2Value = z
  .string()
  .max(255)
  .regex(/^[^|\r\n]*$/, 'no "|" or line breaks');

export const sip2RelayAccountSchema = z
  .object({
    /** The CN the self-check sends in its 93 login. */
    kioskUser: sip2Value.min(1),
    /** The CO the self-check sends in its 93 login. */
    kioskPassword: sip2Value,
    /** What the self-check speaks: charset, terminator, AY/AZ. */
    charset: z.enum(SIP2_CHARSETS as ['ascii', 'utf-8', 'iso-8859-1', 'ibm850']).default('utf-8'),
    terminator: z.enum(['CR', 'CRLF']).default('CR'),
    errorDetection: z.boolean().default(true),
    /** The ILS account this self-check is relayed as; the ILS link's own account when absent. */
    ilsUser: sip2Value.min(1).optional(),
    ilsPassword: sip2Value.optional(),
    /** Location code (CP) of the ILS account. */
    location: sip2Value.optional(),
  })
  .strict()
  .refine((a) => a.ilsPassword === undefined || a.ilsUser !== undefined, {
    message: 'ilsPassword needs ilsUser',
  });

export const sip2RelayOfflineSchema = z
  .object({
    /** 98 "offline ok" while the ILS is down: the self-check may work offline. */
    offlineOk: z.boolean().default(false),
    /** 98 "checkin ok" / "checkout ok" while the ILS is down (the journal takes them). */
    checkinOk: z.boolean().default(false),
    checkoutOk: z.boolean().default(false),
    /**
     * Kept so configs that set it still load; the offline 98 says 000, the spec's
     * "ACS is not on-line". Retries allowed is the 98's own.
     */
    timeoutPeriod: z.number().int().min(0).max(999).default(30),
    retriesAllowed: z.number().int().min(0).max(999).default(3),
    /** Screen message (AF) on requests refused while the ILS is down. */
    screenMessage: sip2Value.min(1).default('ILS offline'),
  })
  .strict();

export const sip2RelaySchema = z
  .object({
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1).default('127.0.0.1'),
    /** SIP2 over TLS to the self-checks, with this PEM certificate and key. */
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
    accounts: z.array(sip2RelayAccountSchema).min(1),
    offline: sip2RelayOfflineSchema.default({
      offlineOk: false,
      checkinOk: false,
      checkoutOk: false,
      timeoutPeriod: 30,
      retriesAllowed: 3,
      screenMessage: 'ILS offline',
    }),
    /**
     * Connections at most. At the limit, a new connection takes the place of the oldest one
     * that has not logged in (from the address with the most connections); it is refused only
     * when every connection is logged in.
     */
    maxConnections: z.number().int().min(1).max(10_000).default(64),
    /** Connections at most from one address, with the same rule. */
    maxConnectionsPerAddress: z.number().int().min(1).max(10_000).default(16),
    /** A connection that has not logged in (93) this long after opening is closed; 0 never. */
    loginTimeoutSeconds: z.number().int().min(0).max(3600).default(10),
    /** Bytes per frame, terminator excluded. */
    maxFrameSize: z.number().int().min(64).max(1_048_576).default(8192),
    /** A self-check silent this long is dropped; 0 never. */
    idleTimeoutSeconds: z.number().int().min(0).max(86_400).default(600),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.accounts.forEach((account, index) => {
      if (seen.has(account.kioskUser)) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', index, 'kioskUser'],
          message: 'duplicate kioskUser',
        });
      }
      seen.add(account.kioskUser);
    });
  });

export type Sip2RelayConfig = z.output<typeof sip2RelaySchema>;
export type Sip2RelayConfigInput = z.input<typeof sip2RelaySchema>;
export type Sip2RelayAccount = Sip2RelayConfig['accounts'][number];

/** Validates (throws a ZodError) and freezes. */
export function parseSip2RelayConfig(input: Sip2RelayConfigInput): Sip2RelayConfig {
  return Object.freeze(sip2RelaySchema.parse(input));
}

/**
 * The ILS link config an account is relayed through: the base link with the
 * account's ILS user, password and location. The base itself when the account
 * names no ILS user.
 */
export function ilsConfigForAccount(base: IlsConfig, account: Sip2RelayAccount): IlsConfig {
  if (account.ilsUser === undefined) return base;
  return {
    ...base,
    user: account.ilsUser,
    password: account.ilsPassword ?? '',
    location: account.location ?? base.location,
  };
}
