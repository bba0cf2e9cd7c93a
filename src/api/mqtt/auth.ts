import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../../gateway/config/schema.js';
import type { BrokerGrant } from './embedded-broker.js';
import type { CarrelTopics } from './topics.js';

/** The user name the gateway's own MQTT client presents to the embedded broker. */
export const GATEWAY_MQTT_USERNAME = 'carrel-gateway';

export interface MqttCredential {
  username: string;
  password: string;
}

export interface BrokerAuth {
  /** For `startEmbeddedBroker({ authenticate })`. */
  authenticate(username: string | undefined, password: Buffer | undefined): BrokerGrant;
  /** What the gateway's own MqttApi client must present. Random per start, never logged. */
  gatewayCredential: MqttCredential;
}

export interface BrokerAuthOptions {
  /** `auth.tokens` from the config. Empty: anonymous clients are accepted. */
  tokens: ReadonlyArray<{ name: string; token: string; scopes: ReadonlyArray<Scope> }>;
  topics: CarrelTopics;
}

function digest(secret: Buffer | string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares digests so neither the length nor the content leaks through timing. */
function sameSecret(presented: Buffer, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), expected);
}

/**
 * Authentication and publish rules of the embedded broker.
 *
 * - With `auth.tokens` configured, a client must present one of the tokens as
 *   its password (the user name is free, used only to tell clients apart).
 * - The gateway's own client presents `gatewayCredential`, a random secret made
 *   here; the name `carrel-gateway` is refused with any other password, so no
 *   one can pose as the gateway, even when anonymous clients are accepted.
 * - Only the gateway publishes in its own tree (state, devices, responses);
 *   others may publish requests there, and only with a kiosk, staff or admin
 *   token (a monitor-only token reads), and never retained: a request's
 *   retain flag is cleared so the broker never stores one. Topics outside the
 *   tree are left alone.
 */
export function createBrokerAuth(options: BrokerAuthOptions): BrokerAuth {
  const gatewayPassword = randomBytes(24).toString('base64url');
  const gatewayDigest = digest(gatewayPassword);
  const tokens = options.tokens.map((t) => ({
    digest: digest(t.token),
    mayRequest: t.scopes.some((scope) => scope !== 'monitor'),
  }));
  const { topics } = options;
  const requester: BrokerGrant = {
    mayPublish: (topic) => !topics.owns(topic) || topics.actionOf(topic) !== undefined,
    // A request names a patron and may carry a PIN: the broker must never keep one.
    mayRetain: (topic) => !topics.owns(topic),
  };
  // Responses can name a patron (circulation answers): a monitor-only token may not read them.
  const reader: BrokerGrant = {
    mayPublish: (topic) => !topics.owns(topic),
    maySubscribe: (filter) => !filterReachesResponses(filter, topics.base),
  };

  return {
    gatewayCredential: { username: GATEWAY_MQTT_USERNAME, password: gatewayPassword },
    authenticate(username, password) {
      if (username === GATEWAY_MQTT_USERNAME) {
        return password !== undefined && sameSecret(password, gatewayDigest);
      }
      if (tokens.length === 0) return requester;
      if (password === undefined) return false;
      let match: (typeof tokens)[number] | undefined;
      for (const token of tokens) {
        // Compare against every token so timing does not tell which one matched.
        if (sameSecret(password, token.digest) && !match) match = token;
      }
      if (!match) return false;
      return match.mayRequest ? requester : reader;
    },
  };
}

/** True when `filter` can match a `<base>/response/<action>` topic. */
export function filterReachesResponses(filter: string, base: string): boolean {
  const levels = filter.split('/');
  const responses = [...base.split('/'), 'response'];
  for (const [i, level] of responses.entries()) {
    if (levels[i] === '#') return true;
    if (levels[i] === undefined || (levels[i] !== '+' && levels[i] !== level)) return false;
  }
  // The next level is the action: any literal, '+' or '#' there reaches some response.
  return levels.length === responses.length + 1 || levels[responses.length] === '#';
}
