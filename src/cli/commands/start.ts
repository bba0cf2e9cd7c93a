import type { CarrelConfig } from '../../app/config.js';
import type { Desk } from '../../app/desk.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { createLogger, type LogLevel } from '../../core/logger.js';
import { probeListen } from '../../core/net.js';
import { whyNotWritable } from '../../core/writable.js';
import { YoungGenerationTrim } from '../../core/young-generation.js';
import { SystemdNotifier } from '../../gateway/sd-notify.js';
import { logLevelOption, parseCommandArgs, portOption } from '../args.js';
import { exitAfterGrace } from '../exit-guard.js';
import { carrelVersion } from '../version.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel start [--config FILE] [--http-port N] [--mqtt-port N] [--log-level LEVEL]

Runs the desk: its devices, its HTTP API and pages, its MQTT broker or link.
Without --config (or CARREL_CONFIG) Carrel starts the built-in simulated desk:
every device points at an in-process simulator.

  --config FILE      the desk's configuration (carrel config check FILE checks it)
  --http-port N      serve HTTP on port N instead of http.port (8480); 0: a free port
  --mqtt-port N      the embedded MQTT broker's port instead of mqtt.port (1883); 0: a
                     free port. Without it, the simulated desk's broker takes a free port
                     when 1883 is taken (a Mosquitto of this machine). Refused for a
                     desk with mqtt.mode external or off: it runs no broker to move
  --log-level LEVEL  fatal, error, warn, info, debug, trace or silent (default: log.level, info)

The banner it prints names where the API, the broker and the simulators listen.
carrel doctor --http-port N checks a desk started with --http-port N.

Exit status: 0 once stopped (SIGTERM, Ctrl-C); 1 when the desk could not serve (its database,
its API, broker or relay port: said on stderr and in the log) or its stop failed; 2 for bad usage
or a configuration that cannot be read or is not valid (every problem on stderr, nothing started).`;

export const startCommand: Command = {
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        config: { type: 'string', short: 'c' },
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      false,
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    // The gateway is loaded once the options are read: --help answers at once.
    const { configPathOf, loadCommandConfig } = await import('../command-config.js');
    const path = configPathOf(values.config);
    const loaded = loadCommandConfig(path);
    if (!loaded) return 2;
    let config = loaded;
    // Every option is read before anything is looked at, so a mistyped one is the only thing said.
    const httpPort =
      values['http-port'] === undefined ? undefined : portOption(values['http-port'], 'http-port', 0);
    const logLevel =
      values['log-level'] === undefined ? undefined : logLevelOption(values['log-level'], 'info');
    let mqttPort =
      values['mqtt-port'] === undefined ? undefined : portOption(values['mqtt-port'], 'mqtt-port', 0);
    // A developer's own Mosquitto often has 1883: the simulated desk's broker then takes a free port
    // (the banner names it) rather than keep the desk from starting. A configured desk does not move.
    const { mqtt } = config;
    if (
      !path &&
      mqttPort === undefined &&
      mqtt.mode === 'embedded' &&
      (await probeListen(mqtt.host, mqtt.port)) === 'in-use'
    ) {
      process.stderr.write(
        `carrel: ${mqtt.host}:${mqtt.port} is taken (a Mosquitto of this machine?): the simulated desk's MQTT broker listens on a free port instead\n`,
      );
      mqttPort = 0;
    }
    config = await withOverrides(config, { httpPort, mqttPort, logLevel });
    return runDaemon(config, path === undefined);
  },
};

async function withOverrides(
  config: CarrelConfig,
  overrides: { httpPort?: number; mqttPort?: number; logLevel?: LogLevel },
): Promise<CarrelConfig> {
  const [{ withPortOptions }, { deepFreeze }] = await Promise.all([
    import('../../app/port-options.js'),
    import('../../gateway/config/load.js'),
  ]);
  const moved = withPortOptions(config, overrides);
  if (!overrides.logLevel) return moved;
  const copy = structuredClone(moved) as CarrelConfig & { log: { level: string } };
  copy.log.level = overrides.logLevel;
  return deepFreeze(copy);
}

async function runDaemon(
  config: CarrelConfig,
  simulatedDesk: boolean,
  clock: Clock = systemClock,
): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const version = carrelVersion();
  const { createDesk } = await import('../../app/desk.js');
  const desk = await createDesk({ config, logger, version, clock });
  const notifier = SystemdNotifier.fromEnv(process.env, clock, logger.child({ module: 'systemd' }));

  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug; the gateway carries on)');
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting so the service manager restarts the gateway');
    logger.flush();
    process.exit(1);
  });

  let stopping: Promise<number> | undefined;
  let youngTrim: YoungGenerationTrim | undefined;
  const shutdown = (signal: string): Promise<number> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'stopping');
    notifier.stopping();
    youngTrim?.stop();
    stopping = desk.stop().then(
      () => {
        notifier.close();
        logger.info('stopped');
        return 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        return 1;
      },
    );
    return stopping;
  };

  const stopped = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => void shutdown('SIGTERM').then(resolve));
    process.once('SIGINT', () => void shutdown('SIGINT').then(resolve));
    // Node dies at once on SIGHUP, and systemd does not restart a service ended by it. A terminal
    // closing sends it: stop as on Ctrl-C. A service gets it from a habit (a logrotate script, a
    // `kill -HUP` meant as "reload"): say that there is no reload and serve on.
    process.on('SIGHUP', () => {
      if (process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY) {
        void shutdown('SIGHUP').then(resolve);
        return;
      }
      logger.warn(
        { signal: 'SIGHUP' },
        'SIGHUP ignored: Carrel has no reload; restart it (systemctl restart carrel) to apply a changed configuration',
      );
    });
  });

  try {
    await desk.start();
  } catch (error) {
    // An essential feature failed; the gateway has stopped what had started. No READY=1: the
    // service manager sees a failed start and restarts Carrel by its policy.
    const described = describeError(error);
    logger.fatal({ code: described.code }, `cannot start: ${described.message}`);
    process.stderr.write(`carrel: cannot start: ${described.message}\n`);
    const hint = startFailureHint(error);
    if (hint) process.stderr.write(`  ${hint}\n`);
    notifier.close();
    // Exit now: a device or simulator that failed to close must not keep a desk that is not
    // serving alive.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(1);
  }
  if (desk.gateway.state !== 'ready') {
    // Stopped while starting (SIGTERM during start): never READY, never a banner.
    const code = await stopped;
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    exitAfterGrace(code, logger);
    return code;
  }
  const failed = desk.gateway.features().filter((f) => f.status === 'failed');
  notifier.ready();
  // What start-up grew the young generation to is given back once it is quiet, as after a burst.
  youngTrim = YoungGenerationTrim.start({ clock });
  if (config.systemd.watchdog) notifier.startWatchdog();
  const urls = desk.urls();
  // Where it serves, in the journal too: the banner goes to stderr, which a log shipper may not read.
  logger.info(
    {
      version,
      failed: failed.map((f) => f.name),
      api: urls.api ?? null,
      mqtt: urls.mqtt ?? null,
      ...(urls.sip2Relay ? { sip2Relay: urls.sip2Relay } : {}),
    },
    'ready',
  );
  printBanner(
    urls,
    simulatedDesk,
    version,
    failed.map((f) => `${f.name}: ${f.error?.message ?? 'failed'}`),
  );

  const code = await stopped;
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  // Stopped cleanly: the process ends once nothing holds it, or after a short grace, saying what did.
  exitAfterGrace(code, logger);
  return code;
}

function printBanner(
  urls: ReturnType<Desk['urls']>,
  simulatedDesk: boolean,
  version: string,
  failures: string[],
): void {
  const lines = [
    `Carrel ${version} is running${simulatedDesk ? ' the simulated desk' : ''}.`,
    `  API        ${urls.api ?? '(not serving)'}`,
    `  API docs   ${urls.docs ?? '(not serving)'}`,
    `  events     ${urls.events ?? '(not serving)'}`,
    `  MQTT       ${urls.mqtt ?? '(off)'}`,
    ...(urls.sip2Relay ? [`  SIP2 relay ${urls.sip2Relay}`] : []),
    ...urls.simulators.map((s) => `  simulator  ${s.id} (${s.kind}): ${s.url}  — ${s.detail}`),
    ...failures.map((f) => `  FAILED     ${f}`),
    'Stop with Ctrl-C.',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** What a person can do about the usual reasons a desk cannot start, from the system error under it. */
function startFailureHint(error: unknown): string | undefined {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const { code, syscall, path } = cause as NodeJS.ErrnoException;
    // Its message says what to do already: the errno under it would only add a worse hint.
    if (code === 'state_folder_not_made') return undefined;
    if (code === 'database_too_new')
      return 'the database was written by a newer Carrel (an upgrade rolled back?): install that version again, or stop and restore a backup this version made (carrel backup --help says how)';
    if (syscall === 'listen' || syscall === 'bind') {
      if (code === 'EADDRINUSE')
        return 'another program already listens on that port, perhaps another Carrel: `ss -ltnp` names it; stop it or choose another port';
      if (code === 'EADDRNOTAVAIL')
        return "that address is not one of this machine's: `ip -brief address` lists them";
      if (code === 'EACCES')
        return 'ports below 1024 need a privilege Carrel does not run with: choose a port above 1024';
    }
    // A state directory or file of another user (Carrel once run as root).
    if ((code === 'EACCES' || code === 'EPERM') && path) return whyNotWritable(path);
  }
  return undefined;
}
