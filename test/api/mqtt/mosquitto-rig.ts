import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOSQUITTO_CONF_LINES } from '../../../src/api/mqtt/mosquitto-acl.js';
import { MqttApi } from '../../../src/api/mqtt/mqtt-api.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Scope } from '../../../src/gateway/config/schema.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { type MosquittoBroker, startMosquitto, writeMosquittoPasswords } from '../../helpers/mosquitto.js';
import { GATEWAY, PATRON, SITE } from './access-matrix.js';
import { printerState } from './mqtt-api-contract.js';

export const GATEWAY_USER = 'desk-1-gateway';
const GATEWAY_PASSWORD = 'gateway-password-0123456789';
/** A user the tests add to the generated ACL to watch the whole tree; not part of Carrel's ACL. */
export const AUDITOR = { username: 'test-auditor', password: 'auditor-password-0123456789' };

export const TOKENS: Array<{ name: string; token: string; scopes: Scope[] }> = [
  { name: 'it-monitoring', token: 'monitor-token-0123456789abcdef', scopes: ['monitor'] },
  { name: 'kiosk-a', token: 'kiosk-a-token-0123456789abcdef', scopes: ['kiosk'] },
  { name: 'kiosk-b', token: 'kiosk-b-token-0123456789abcdef', scopes: ['kiosk'] },
  { name: 'staff-desk', token: 'staff-token-0123456789abcdef', scopes: ['staff'] },
  { name: 'admin', token: 'admin-token-0123456789abcdef', scopes: ['admin'] },
];

/** The built `carrel` command. */
export const CLI = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'dist',
  'src',
  'cli',
  'main.js',
);

/** The configuration of the gateway under test, as an operator would write it. */
export function gatewayConfigYaml(tokens = TOKENS): string {
  return [
    'version: 1',
    `site: ${SITE}`,
    `gateway: ${GATEWAY}`,
    'auth:',
    '  tokens:',
    ...tokens.map((t) => `    - { name: ${t.name}, token: ${t.token}, scopes: [${t.scopes.join(', ')}] }`),
    'mqtt:',
    '  mode: external',
    '  url: mqtt://127.0.0.1:1883',
    `  username: ${GATEWAY_USER}`,
    `  password: ${GATEWAY_PASSWORD}`,
    '',
  ].join('\n');
}

/** Runs the built `carrel` command in `dir`. */
export function carrel(dir: string, args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (\`npm test\` does)`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
}

/** `carrel mqtt acl --config FILE` */
export function carrelMqttAcl(dir: string, configFile: string) {
  return carrel(dir, ['mqtt', 'acl', '--config', configFile]);
}

export function credentialOf(name: string): { username: string; password: string } {
  const token = TOKENS.find((t) => t.name === name);
  if (!token) throw new Error(`no token ${name}`);
  return { username: token.name, password: token.token };
}

/**
 * A real Mosquitto set up as docs/mqtt.md says (no anonymous clients, a
 * password file made with mosquitto_passwd, the ACL `carrel mqtt acl` prints,
 * user names as client ids), with a gateway's MqttApi connected to it as
 * `mqtt.username`.
 */
export async function startSecuredMosquitto(protocolVersion: 4 | 5) {
  const topics = new CarrelTopics(SITE, GATEWAY);
  const mosquitto: MosquittoBroker = await startMosquitto({
    async configure(dir) {
      const passwords = join(dir, 'carrel.passwd');
      const acl = join(dir, 'carrel.acl');
      writeMosquittoPasswords(passwords, {
        [GATEWAY_USER]: GATEWAY_PASSWORD,
        [AUDITOR.username]: AUDITOR.password,
        ...Object.fromEntries(TOKENS.map((t) => [t.name, t.token])),
      });
      const configFile = join(dir, 'carrel.yaml');
      await writeFile(configFile, gatewayConfigYaml());
      const generated = carrelMqttAcl(dir, configFile);
      if (generated.status !== 0) throw new Error(`carrel mqtt acl failed: ${generated.stderr}`);
      await writeFile(acl, `${generated.stdout}\nuser ${AUDITOR.username}\ntopic read #\n`);
      return MOSQUITTO_CONF_LINES.map((line) =>
        line.replace('/etc/mosquitto/carrel.passwd', passwords).replace('/etc/mosquitto/carrel.acl', acl),
      );
    },
  });
  const bus = new EventBus();
  const api = new MqttApi({
    site: SITE,
    gateway: GATEWAY,
    url: mosquitto.url,
    protocolVersion,
    username: GATEWAY_USER,
    password: GATEWAY_PASSWORD,
    bus,
    logger: silentLogger(),
    deviceStates: () => [printerState()],
    actions: {
      'circulation.patron': async () => ({ patron: { id: PATRON, name: 'Kåre Ødegård' } }),
    },
    connectTimeoutMs: 5000,
  });
  try {
    await api.start();
  } catch (error) {
    await mosquitto.stop();
    throw error;
  }
  return {
    mosquitto,
    api,
    bus,
    topics,
    async stop() {
      await api.stop();
      await mosquitto.stop();
    },
  };
}
