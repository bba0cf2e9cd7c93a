import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../../gateway/config/schema.js';
import type { Principal } from '../http/auth.js';
import { ClientAccess, roleOfScopes } from './access.js';
import { ClientIdBindings } from './client-ids.js';
import type { BrokerGrant, ConnectAttempt } from './embedded-broker.js';
import type { CarrelTopics } from './topics.js';

/**
 * A client of a broker with no tokens configured: every scope, named by its client id; on this
 * machine when the broker listens on loopback only (the embedded broker as a desk without tokens
 * runs it).
 */
export function anonymousMqttPrincipal(clientId: string, onThisMachine = false): Principal {
  return {
    name: clientId,
    scopes: ['admin', 'staff', 'kiosk', 'monitor'],
    ...(onThisMachine ? { onThisMachine: true as const } : {}),
  };
}

/**
 * Who a client of an external broker is: with Mosquitto's `use_username_as_clientid`
 * (docs/mqtt.md) the client id is the user, named after its token.
 */
export function externalMqttPrincipal(
  tokens: ReadonlyArray<{ name: string; scopes: ReadonlyArray<Scope> }>,
  clientId: string,
): Principal | undefined {
  if (tokens.length === 0) return anonymousMqttPrincipal(clientId);
  const token = tokens.find((t) => t.name === clientId);
  return token && { name: token.name, scopes: token.scopes };
}

/** The user name the gateway's own MQTT client presents to the embedded broker. */
export const GATEWAY_MQTT_USERNAME = 'carrel-gateway';

export interface MqttCredential {
  username: string;
  password: string;
}

export interface BrokerAuth {
  /** For `startEmbeddedBroker({ authenticate })`. */
  authenticate(attempt: ConnectAttempt): BrokerGrant;
  /** What the gateway's own MqttApi client must present. Random per start, never logged. */
  gatewayCredential: MqttCredential;
  /**
   * Who a client is, for the scopes of the actions it asks for: the token its
   * client id is bound to (every scope when no tokens are configured, as on HTTP).
   */
  principalOf(clientId: string): Principal | undefined;
}

export interface BrokerAuthOptions {
  /** `auth.tokens` from the config. Empty: anonymous clients are accepted. */
  tokens: ReadonlyArray<{ name: string; token: string; scopes: ReadonlyArray<Scope> }>;
  topics: CarrelTopics;
  /** Client ids remembered with their token at most (see ClientIdBindings). */
  maxClientIdBindings?: number;
  /** The broker listens on loopback only: a client without a token is on this machine. */
  loopbackOnly?: boolean;
}

function digest(secret: Buffer | string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares digests so neither the length nor the content leaks through timing. */
function sameSecret(presented: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), expected);
}

/**
 * Authentication of the embedded broker's clients; what each may then do is
 * access.ts's rule.
 *
 * - With `auth.tokens` configured, a client must present one of the tokens as
 *   its password (the user name is free, used only in logs). Its client id is
 *   then bound to that token for the broker's lifetime: another token
 *   presenting the same client id is refused (identifier rejected), so no one
 *   can connect as another kiosk and read its answers.
 * - Without tokens (loopback only) every client is accepted as one that may
 *   ask; each still reads only its own area.
 * - The gateway's own client presents `gatewayCredential`, a random secret made
 *   here; the name `carrel-gateway` is refused with any other password, so no
 *   one can pose as the gateway, even when anonymous clients are accepted.
 */
export function createBrokerAuth(options: BrokerAuthOptions): BrokerAuth {
  const gatewayPassword = randomBytes(24).toString('base64url');
  const gatewayDigest = digest(gatewayPassword);
  const tokens = options.tokens.map((t) => ({
    digest: digest(t.token),
    role: roleOfScopes(t.scopes),
    principal: { name: t.name, scopes: t.scopes } satisfies Principal,
  }));
  const bindings = new ClientIdBindings<(typeof tokens)[number]>(options.maxClientIdBindings);
  const { topics } = options;

  return {
    gatewayCredential: { username: GATEWAY_MQTT_USERNAME, password: gatewayPassword },
    principalOf: (clientId) =>
      tokens.length === 0
        ? anonymousMqttPrincipal(clientId, options.loopbackOnly === true)
        : bindings.holderOf(clientId)?.principal,
    authenticate({ clientId, username, password, connected }) {
      if (username === GATEWAY_MQTT_USERNAME) {
        return password !== undefined && sameSecret(password, gatewayDigest) ? true : 'bad_credentials';
      }
      if (tokens.length === 0) return new ClientAccess(topics, 'requester', clientId);
      if (password === undefined) return 'bad_credentials';
      let match: (typeof tokens)[number] | undefined;
      for (const token of tokens) {
        // Compare against every token so timing does not tell which one matched.
        if (sameSecret(password, token.digest) && !match) match = token;
      }
      if (!match) return 'bad_credentials';
      if (!bindings.claim(clientId, match, connected)) return 'client_id_taken';
      return new ClientAccess(topics, match.role, clientId);
    },
  };
}
