import { hash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../../gateway/config/schema.js';
import { AT_THIS_DESK, actorAsKept } from '../../gateway/contracts/actor.js';
import { ApiProblem } from './problem.js';

export interface TokenConfig {
  name: string;
  token: string;
  scopes: readonly Scope[];
}

export interface Principal {
  name: string;
  scopes: readonly Scope[];
  /**
   * A caller of a desk without tokens, which serves this machine only: it holds no token, so its name
   * ('loopback', an MQTT client id) is no one's. What records who did something (an alarm
   * acknowledged) says "at this desk" for it.
   */
  onThisMachine?: true;
}

/** Who did something, as a record keeps it (src/gateway/contracts/actor.ts). */
export const actorOf = (principal: Principal): string =>
  principal.onThisMachine ? AT_THIS_DESK : principal.name;
export { actorAsKept };

/** Who may call a route. `public` routes (liveness, readiness) need no token. */
export type Access = 'public' | readonly Scope[];

const ANONYMOUS: Principal = {
  name: 'loopback',
  scopes: ['admin', 'staff', 'kiosk', 'monitor'],
  onThisMachine: true,
};

/**
 * Bearer tokens with scopes. Tokens are compared as SHA-256 digests in constant
 * time. With no tokens configured, authentication is off — which the HTTP
 * feature only allows on a loopback address.
 */
export class TokenAuthenticator {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly TokenConfig[]) {
    this.entries = tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name, scopes: t.scopes },
    }));
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Resolves the caller from an Authorization header value (or a bare token); undefined when unknown. */
  identify(credential: string | undefined): Principal | undefined {
    if (!this.enabled) return ANONYMOUS;
    if (!credential) return undefined;
    const token = credential.startsWith('Bearer ') ? credential.slice(7).trim() : credential.trim();
    if (!token) return undefined;
    const candidate = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal;
    }
    return found;
  }

  /** Throws a 401 or 403 problem unless the credential grants one of the scopes (admin grants all). */
  authorize(credential: string | undefined, access: Access): Principal {
    if (access === 'public') return ANONYMOUS;
    const principal = this.identify(credential);
    if (!principal) {
      throw new ApiProblem(401, 'unauthorized', 'Authentication required', 'send a valid bearer token');
    }
    if (principal.scopes.includes('admin') || access.some((scope) => principal.scopes.includes(scope))) {
      return principal;
    }
    throw new ApiProblem(
      403,
      'forbidden',
      'Insufficient scope',
      `this needs one of the scopes: ${access.join(', ')}`,
    );
  }
}

/**
 * A WebSocket's credential: the Authorization header, or (browsers cannot set
 * headers on a WebSocket) one `?access_token=`. A repeated or odd one counts as none.
 */
export function socketCredential(request: {
  headers: { authorization?: string };
  query: unknown;
}): string | undefined {
  if (request.headers.authorization !== undefined) return request.headers.authorization;
  const token = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' ? token : undefined;
}

/** The caller as sessions and payments know it: its terminal (the token's name), and whether it is staff (staff or admin scope). */
export function deskCaller(principal: Principal): { terminal: string; staff: boolean } {
  return {
    terminal: principal.name,
    staff: principal.scopes.includes('staff') || principal.scopes.includes('admin'),
  };
}

/** One-shot SHA-256: every authenticated request pays it, and a Hash object costs several times more. */
function digest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}
