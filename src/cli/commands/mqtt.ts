import { MOSQUITTO_CONF_LINES, mosquittoAcl } from '../../api/mqtt/mosquitto-acl.js';
import { CarrelTopics } from '../../api/mqtt/topics.js';
import { CarrelError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import { loadCommandConfig } from '../command-config.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel mqtt acl --config FILE

Prints the Mosquitto ACL file for the gateway the configuration describes
(mqtt.mode: external): its user (mqtt.username) reads and writes
carrel/<site>/<gateway>/#; each auth.tokens name is a user who reads the
gateway state, device states and device events and, unless monitor-only,
publishes requests in its own clients/<name>/request/# and reads its answers
in clients/<name>/response/#. No one reads another's requests or answers.

It assumes this mosquitto.conf (paths to suit):
${MOSQUITTO_CONF_LINES.map((line) => `  ${line}`).join('\n')}
and a password file with one line per user:
  mosquitto_passwd -c -b /etc/mosquitto/carrel.passwd GATEWAY-USER PASSWORD
  mosquitto_passwd -b /etc/mosquitto/carrel.passwd TOKEN-NAME TOKEN
use_username_as_clientid makes each client's MQTT client id its user name,
so no one can take another client's id (and its area). See docs/mqtt.md.`;

export const mqttCommand: Command = {
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help || positionals[0] === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'acl') {
      throw new CarrelError('usage', `expected "mqtt acl --config FILE"\n${USAGE}`);
    }
    const path = values.config ?? process.env.CARREL_CONFIG;
    if (!path) throw new CarrelError('usage', `mqtt acl needs --config FILE\n${USAGE}`);
    const config = loadCommandConfig(path);
    if (!config) return 2;
    if (config.mqtt.mode !== 'external' || config.mqtt.username === undefined) {
      throw new CarrelError(
        'mqtt_acl_not_external',
        `${path}: the ACL is for an external broker; set mqtt.mode: external with mqtt.username (the gateway's user on the broker)`,
      );
    }
    process.stdout.write(
      mosquittoAcl({
        topics: new CarrelTopics(config.site, config.gateway),
        gatewayUser: config.mqtt.username,
        tokens: config.auth.tokens,
      }),
    );
    return 0;
  },
};
