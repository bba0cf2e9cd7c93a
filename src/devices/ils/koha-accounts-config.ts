/** How Carrel reaches Koha's REST API for patron accounts (`printAccounts.ilsTransfer`). */
import { z } from 'zod';
import { isLoopbackHost } from '../../core/net.js';

export const kohaRestAccountsSchema = z
  .strictObject({
    kind: z.literal('koha-rest'),
    /** Koha's staff interface base URL (https://…); `/api/v1/…` is added. Plain http only on loopback. */
    url: z.url({ protocol: /^https?$/ }),
    /** OAuth2 client credentials (an API key made in Koha for a staff user with `updatecharges`)… */
    clientId: z.string().min(1).max(255).optional(),
    clientSecret: z.string().min(1).max(1024).optional(),
    /** …or basic auth (Koha's RESTBasicAuth preference on). */
    user: z.string().min(1).max(255).optional(),
    password: z.string().min(1).max(1024).optional(),
    /** The Koha debit type the transfer is booked as (Administration › Debit types). */
    debitType: z
      .string()
      .regex(/^[A-Z0-9_]{1,80}$/, 'a Koha debit type code such as MANUAL')
      .default('MANUAL'),
    /** How long one API call may take. */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .superRefine((config, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const oauth = config.clientId !== undefined || config.clientSecret !== undefined;
    const basic = config.user !== undefined || config.password !== undefined;
    if (oauth === basic)
      issue('clientId', 'give clientId and clientSecret (OAuth2), or user and password (basic auth)');
    if (oauth && (config.clientId === undefined || config.clientSecret === undefined))
      issue('clientSecret', 'clientId and clientSecret go together');
    if (basic && (config.user === undefined || config.password === undefined))
      issue('password', 'user and password go together');
    let url: URL | undefined;
    try {
      url = new URL(config.url);
    } catch {
      return;
    }
    if (url.username || url.password) issue('url', 'credentials go in their own fields, not in the URL');
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
      issue('url', 'https is needed to send credentials to another machine');
  });
export type KohaRestAccountsConfig = z.infer<typeof kohaRestAccountsSchema>;
