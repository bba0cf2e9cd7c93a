import { z } from 'zod';
import { scopeSchema } from '../../../gateway/config/schema.js';
import { type ApiModule, operation } from '../../operations.js';

/**
 * Who is calling: the name the desk's config gives the caller's token and its scopes, so a page
 * (the dashboard) shows only the actions the token may take. Never the token itself.
 */
export const callerApi: ApiModule = {
  name: 'auth',
  operations: () => [
    operation({
      method: 'GET',
      url: '/api/v1/auth/caller',
      operationId: 'getCaller',
      summary:
        'The caller’s token: its name in the config and its scopes (on a loopback desk without tokens, every scope)',
      tag: 'auth',
      access: ['kiosk', 'staff', 'admin', 'monitor'],
      response: z.object({ name: z.string(), scopes: z.array(scopeSchema) }),
      mqtt: { action: 'auth.caller' },
      handler: ({ principal }) => ({ name: principal.name, scopes: [...principal.scopes] }),
    }),
  ],
};
