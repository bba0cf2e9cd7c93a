import { CarrelError } from '../../core/errors.js';
import type { Scope } from '../../gateway/config/schema.js';
import { grantsFor, type MqttRole, roleOfScopes } from './access.js';
import { type CarrelTopics, isSafeTopicSegment } from './topics.js';

export interface MosquittoAclOptions {
  topics: CarrelTopics;
  /** The gateway's own user on the broker (`mqtt.username`). */
  gatewayUser: string;
  /** `auth.tokens`: each name is a broker user, its token the password. */
  tokens: ReadonlyArray<{ name: string; scopes: ReadonlyArray<Scope> }>;
}

/** The mosquitto.conf lines the ACL assumes (see docs/mqtt.md). */
export const MOSQUITTO_CONF_LINES = [
  'allow_anonymous false',
  'password_file /etc/mosquitto/carrel.passwd',
  'acl_file /etc/mosquitto/carrel.acl',
  'use_username_as_clientid true',
];

/** A user name the ACL can name and a topic level can hold: no spaces, `/`, `+`, `#`. */
function isPlainUserName(name: string): boolean {
  return isSafeTopicSegment(name) && !/\s/.test(name);
}

/**
 * The Mosquitto ACL file for one gateway: access.ts's rule written as `user`
 * blocks. The gateway's user reads and writes its whole tree; every token name
 * is a user who reads the public topics, and unless monitor-only also asks in
 * its own area `clients/<user>/` and reads its answers there.
 *
 * The areas are spelled out per user rather than as `pattern … %c` lines: a
 * pattern applies to every user, monitor ones included, and a user's own name
 * keeps its area even if `use_username_as_clientid` were forgotten.
 */
export function mosquittoAcl(options: MosquittoAclOptions): string {
  const { topics, gatewayUser, tokens } = options;
  const names = [gatewayUser, ...tokens.map((t) => t.name)];
  const bad = names.filter((name) => !isPlainUserName(name));
  if (bad.length > 0) {
    throw new CarrelError(
      'mqtt_acl_bad_user',
      `MQTT user names must be plain topic levels (no spaces, "/", "+", "#"): ${bad.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
  const seen = new Set<string>();
  const twice = names.filter((name) => seen.size === seen.add(name).size);
  if (twice.length > 0) {
    throw new CarrelError(
      'mqtt_acl_bad_user',
      `each MQTT user needs its own name; used twice: ${[...new Set(twice)].join(', ')} (mqtt.username and auth.tokens[].name)`,
    );
  }

  const lines = [
    `# Mosquitto ACL for the Carrel gateway ${topics.base}, made by \`carrel mqtt acl\`.`,
    '# It assumes these mosquitto.conf lines (paths to suit):',
    ...MOSQUITTO_CONF_LINES.map((line) => `#   ${line}`),
    '# and one password_file entry per user below (mosquitto_passwd -b FILE NAME TOKEN).',
    '',
  ];
  const block = (user: string, role: MqttRole, comment: string) => {
    const grants = grantsFor(topics, role, user);
    lines.push(`# ${comment}`, `user ${user}`);
    const both = grants.read.filter((filter) => grants.write.includes(filter));
    for (const filter of both) lines.push(`topic readwrite ${filter}`);
    for (const filter of grants.read) if (!both.includes(filter)) lines.push(`topic read ${filter}`);
    for (const filter of grants.write) if (!both.includes(filter)) lines.push(`topic write ${filter}`);
    lines.push('');
  };
  block(gatewayUser, 'gateway', 'the gateway itself (mqtt.username)');
  for (const token of tokens) {
    const role = roleOfScopes(token.scopes);
    block(
      token.name,
      role,
      `${token.scopes.join(', ')}: ${role === 'reader' ? 'public topics only' : 'public topics, asks and reads its answers in its own area'}`,
    );
  }
  return lines.join('\n');
}
