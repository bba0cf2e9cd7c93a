import { mqttConnectionFor } from '../../api/mqtt/connection.js';
import { MOSQUITTO_CONF_LINES, mosquittoAcl } from '../../api/mqtt/mosquitto-acl.js';
import { CarrelTopics } from '../../api/mqtt/topics.js';
import type { CarrelConfig } from '../../app/config.js';
import { askCarrel } from '../../app/doctor/ports.js';
import { serviceEnvironmentHint } from '../../app/service-environment.js';
import { CarrelError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel mqtt acl --config FILE
       carrel mqtt forget --config FILE [--force] [--json]

acl     Prints the Mosquitto ACL file for the gateway the configuration describes
        (mqtt.mode: external): its user (mqtt.username) reads and writes
        carrel/<site>/<gateway>/#; each auth.tokens name is a user who reads the
        gateway state, device states and device events and, unless monitor-only,
        publishes requests in its own clients/<name>/request/# and reads its answers
        in clients/<name>/response/#. No one reads another's requests or answers.

        It assumes this mosquitto.conf (paths to suit):
${MOSQUITTO_CONF_LINES.map((line) => `          ${line}`).join('\n')}
        and a password file with one line per user:
          mosquitto_passwd -c -b /etc/mosquitto/carrel.passwd GATEWAY-USER PASSWORD
          mosquitto_passwd -b /etc/mosquitto/carrel.passwd TOKEN-NAME TOKEN
        use_username_as_clientid makes each client's MQTT client id its user name,
        so no one can take another client's id (and its area). See docs/mqtt.md.

forget  Clears what the desk keeps on the external broker (its state, totals and
        device states, all retained) for a desk taken out of service or about to be
        renamed: the broker would otherwise hand it to every dashboard and the fleet
        view for ever. Run it with the desk's configuration (its own MQTT user may
        write only its tree) and its Carrel stopped; a desk the broker says is online
        is refused unless --force. --json prints {base, cleared, lastStatus}.`;

export const mqttCommand: Command = {
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      config: { type: 'string', short: 'c' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help || positionals[0] === 'help') {
      console.log(USAGE);
      return 0;
    }
    const action = positionals[0];
    if (positionals.length !== 1 || (action !== 'acl' && action !== 'forget')) {
      throw new CarrelError(
        'usage',
        `expected "mqtt acl --config FILE" or "mqtt forget --config FILE"\n${USAGE}`,
      );
    }
    // The configuration's schema is loaded once the options are read: --help answers at once.
    const { configPathOf, loadCommandConfig, unsetVariableIn } = await import('../command-config.js');
    const path = configPathOf(values.config);
    if (!path) throw new CarrelError('usage', `mqtt ${action} needs --config FILE\n${USAGE}`);
    // The ACL names the token holders, never their tokens; forget logs in with the desk's password.
    const config = loadCommandConfig(path, { secrets: action === 'forget' });
    if (!config) return 2;
    if (config.mqtt.mode !== 'external') {
      throw new CarrelError(
        'mqtt_acl_not_external',
        `${path}: mqtt ${action} is for an external broker; this desk's mqtt.mode is ${config.mqtt.mode}: set mqtt.mode: external with its mqtt.url`,
      );
    }
    const topics = new CarrelTopics(config.site, config.gateway);
    if (action === 'acl') {
      // Forget logs in as the desk does, with a user or (a broker taking anonymous clients) none.
      if (config.mqtt.username === undefined)
        throw new CarrelError(
          'mqtt_acl_no_user',
          `${path}: mqtt acl gives the desk's own broker user its tree, and mqtt.username names none: set mqtt.username (the gateway's user on the broker)`,
        );
      // The names it prints, read without the secrets: one from a variable not set is its stand-in.
      const names: Array<[field: string, value: string]> = [
        ['mqtt.username', config.mqtt.username],
        ...config.auth.tokens.map((token, index): [string, string] => [
          `auth.tokens[${index}].name`,
          token.name,
        ]),
      ];
      for (const [field, value] of names) {
        const variable = unsetVariableIn(value);
        if (variable !== undefined)
          throw new CarrelError(
            'mqtt_acl_name_unset',
            `${path}: ${field} is \${env:${variable}}, and ${variable} is not set here, so mqtt acl cannot name that user; ${serviceEnvironmentHint(`carrel mqtt acl --config ${path}`)}`,
          );
      }
      process.stdout.write(
        mosquittoAcl({ topics, gatewayUser: config.mqtt.username, tokens: config.auth.tokens }),
      );
      return 0;
    }
    return forget(config, topics, { force: values.force === true, json: values.json === true });
  },
};

async function forget(
  config: CarrelConfig,
  topics: CarrelTopics,
  options: { force: boolean; json: boolean },
): Promise<number> {
  // Logging in as the desk's user while its Carrel runs would take its session over (the broker
  // names clients by user): a Carrel of this configuration on this machine is asked first.
  const { host, port } = config.http;
  const running = port === 0 ? undefined : await askCarrel(host, port, 2000);
  if (running)
    throw new CarrelError(
      'carrel_running',
      `Carrel runs with this configuration (${running.url}): stop it first`,
    );
  const connection = mqttConnectionFor(config.mqtt)!;
  // Loaded here: the mqtt package is not needed by `carrel mqtt acl`.
  const { forgetDesk } = await import('../../api/mqtt/forget.js');
  const forgotten = await forgetDesk({ connection, topics, force: options.force });
  if (options.json) {
    console.log(JSON.stringify(forgotten));
    return 0;
  }
  if (forgotten.cleared.length === 0) {
    console.log(`${forgotten.base}: nothing retained on the broker`);
    return 0;
  }
  console.log(`${forgotten.base}: cleared ${forgotten.cleared.length} retained topics`);
  for (const topic of forgotten.cleared) console.log(`  ${topic.slice(forgotten.base.length + 1)}`);
  return 0;
}
