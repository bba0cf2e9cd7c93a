import { brokerSettingsOf } from '../../api/mqtt/connection.js';
import { CarrelError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { logLevelOption, parseCommandArgs, portOption } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel fleet --broker URL [--username NAME] [--password PASSWORD]
                    [--ca FILE] [--cert FILE --key FILE] [--protocol 5|3.1.1]
                    [--host 127.0.0.1] [--http-port 8490] [--token TOKEN] [--log-level LEVEL]
                    [--timeout SECONDS]

The fleet view for central IT: a read-only page listing every desk on the broker
(online or offline by its last will), each desk's devices and problems, and the
day's totals (alarms, visitors, offline transactions waiting) — built from the
desks' retained MQTT state only, never from the desks themselves.

  --broker     the central broker, mqtt:// or mqtts:// (or CARREL_FLEET_BROKER)
  --username   the viewer's user on the broker (fleet-view in docs/fleet.md)
  --password   its password; better CARREL_FLEET_PASSWORD (not in the process list)
  --ca         PEM file of the CA that signed the broker's certificate
  --cert       a client certificate (PEM), for a broker that asks for one
  --key        that certificate's private key (PEM)
  --protocol   the MQTT version; without it MQTT 5, or 3.1.1 when the broker
               does not speak 5 (a desk's embedded broker)
  --host       where the page listens (loopback by default; any other address
               needs --token or CARREL_FLEET_TOKEN, given to the page as #token=…)
  --http-port  the page's port (8490); 0: a free port, named on stdout when it starts
  --token      the token the page's data needs beyond loopback (or CARREL_FLEET_TOKEN)
  --log-level  fatal, error, warn, info, debug, trace or silent (info); the log
               goes to stderr, one JSON line each when stderr is not a terminal
  --timeout    how many seconds to dial the broker at start before giving up with
               why (1-600, default 10); once connected, a broker lost is dialled
               again for as long as the fleet view runs

Where its page is goes to stdout, nothing else: a script starting it reads that.

See docs/fleet.md for the broker's ACL and the branch bridges.`;

/** How long the broker is dialled at start: long enough for a far broker's TLS, not a day. */
const TIMEOUT_SECONDS = { default: 10, least: 1, most: 600 } as const;

/** `--timeout`: seconds (a fraction too), from 1 to 600; 10 when not given. */
function timeoutOption(value: string | undefined): number {
  if (value === undefined) return TIMEOUT_SECONDS.default;
  // Number('') is 0 and Number(' 5') is 5: only a plain decimal number is taken.
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= TIMEOUT_SECONDS.least && seconds <= TIMEOUT_SECONDS.most))
    throw new CarrelError(
      'usage',
      `--timeout is how many seconds to dial the broker at start, from ${TIMEOUT_SECONDS.least} to ${TIMEOUT_SECONDS.most}, got "${value}"`,
    );
  return seconds;
}

export const fleetCommand: Command = {
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        broker: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        protocol: { type: 'string' },
        host: { type: 'string' },
        'http-port': { type: 'string' },
        token: { type: 'string' },
        'log-level': { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      false,
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    // An empty variable (`Environment=CARREL_FLEET_PASSWORD=` in a unit file) is none, as an unset one.
    const fromEnv = (name: string) => process.env[name] || undefined;
    const url = values.broker ?? fromEnv('CARREL_FLEET_BROKER');
    if (!url) throw new CarrelError('usage', `fleet needs --broker URL\n${USAGE}`);
    if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url))
      throw new CarrelError(
        'usage',
        `--broker must be an mqtt://, mqtts://, ws:// or wss:// URL, got "${url}"`,
      );
    if (values.protocol !== undefined && values.protocol !== '5' && values.protocol !== '3.1.1')
      throw new CarrelError('usage', `--protocol is 5 or 3.1.1, got "${values.protocol}"`);
    if ((values.cert === undefined) !== (values.key === undefined))
      throw new CarrelError('usage', '--cert and --key go together');
    const password = values.password ?? fromEnv('CARREL_FLEET_PASSWORD');
    // The MQTT client sends no login with a password alone: the broker would never answer.
    if (password !== undefined && values.username === undefined)
      throw new CarrelError(
        'usage',
        `${values.password !== undefined ? '--password' : 'CARREL_FLEET_PASSWORD'} is the password of a user on the broker: give that user with --username`,
      );
    const timeout = timeoutOption(values.timeout);
    const token = values.token ?? fromEnv('CARREL_FLEET_TOKEN');
    const level = logLevelOption(values['log-level'], 'info');
    // The log on stderr, as carrel rfid's: stdout says where the page is, for a script to read.
    const logger = createLogger({ level, destination: process.stderr });
    // Loaded once the options are read: --help and bad usage answer at once.
    const { FleetServer } = await import('../../api/fleet/fleet-server.js');
    const server = new FleetServer({
      broker: brokerSettingsOf({
        url,
        // Not given: MQTT 5, or 3.1.1 when the broker refuses 5 (a desk's embedded broker).
        protocolVersion: values.protocol === undefined ? undefined : values.protocol === '3.1.1' ? 4 : 5,
        username: values.username,
        password,
        caFile: values.ca,
        certFile: values.cert,
        keyFile: values.key,
      }),
      host: values.host ?? '127.0.0.1',
      port: portOption(values['http-port'], 'http-port', 8490),
      connectTimeoutMs: Math.round(timeout * 1000),
      ...(token !== undefined && { token }),
      logger,
    });
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await server.start();
    process.stdout.write(
      `Carrel fleet view of ${server.broker}\n  page       ${server.url}\nStop with Ctrl-C.\n`,
    );
    await stopped;
    await server.stop();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    return 0;
  },
};
