import { z } from 'zod';
import { scopeSchema } from '../../../gateway/config/schema.js';
import { type ApiModule, operation } from '../../operations.js';

/**
 * Who is calling: the name the desk's config gives the caller's token and its scopes, so a page
 * (the dashboard) shows only the actions the token may take. Never the token itself. With them the
 * desk's time zone, in which the pages say "today" and "yesterday" of what the desk sends.
 */
export const callerApi: ApiModule = {
  name: 'auth',
  operations: () => [
    operation({
      method: 'GET',
      url: '/api/v1/auth/caller',
      operationId: 'getCaller',
      summary:
        'The caller’s token: its name in the config and its scopes (on a loopback desk without tokens, every scope), and the desk’s time zone',
      tag: 'auth',
      access: ['kiosk', 'staff', 'admin', 'monitor'],
      response: z.object({
        name: z.string(),
        scopes: z.array(scopeSchema),
        timeZone: z.string().describe('the desk’s IANA time zone, e.g. Europe/Oslo'),
      }),
      mqtt: { action: 'auth.caller' },
      handler: ({ principal }) => ({
        name: principal.name,
        scopes: [...principal.scopes],
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      }),
    }),
  ],
};
