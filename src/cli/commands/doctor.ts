import type { DoctorCheck } from '../../app/doctor/index.js';
import { CarrelError } from '../../core/errors.js';
import { parseCommandArgs, portOption } from '../args.js';
import type { Command } from './index.js';

const USAGE = `usage: carrel doctor [--config FILE] [--http-port N] [--mqtt-port N] [--json] [--timeout SECONDS]

Checks, in order, and prints one pass/warn/fail/skip line per check with what to
do about it: the configuration, the ports, device nodes and udev rules, native
modules, the ILS (reachable, login, 98 status, clock skew), every configured
device, the MQTT broker, the state directory, the database and free disk
space, the systemd unit. Without --config (or CARREL_CONFIG): the simulated desk.

  --config FILE      the desk's configuration (else CARREL_CONFIG, else the simulated desk)
  --http-port N      the port the desk was started with (carrel start --http-port N):
                     a running Carrel is looked for there; default the configuration's.
                     The configuration's monitor token is sent there only once what
                     listens has answered /readyz as Carrel does
  --mqtt-port N      the port its broker was started with (carrel start --mqtt-port N); a
                     running Carrel says where its broker listens, so this is rarely needed;
                     refused before any check (exit 2), as by carrel start, for
                     mqtt.mode external or off
  --json             one JSON document on stdout: {ok, config, summary, checks: [{name, status, detail, hint?}]}
  --timeout SECONDS  how long a device or broker may take to answer (default 10)

Exit status: 0 when no check failed, 1 otherwise, 2 for bad usage.`;

const MARKS = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

export const doctorCommand: Command = {
  async run(argv) {
    const { values } = parseCommandArgs(
      argv,
      {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      false,
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) {
      throw new CarrelError(
        'usage',
        `--timeout must be a number of seconds (0-600], got "${values.timeout}"`,
      );
    }
    const ports = {
      httpPort:
        values['http-port'] === undefined ? undefined : portOption(values['http-port'], 'http-port', 0),
      mqttPort:
        values['mqtt-port'] === undefined ? undefined : portOption(values['mqtt-port'], 'mqtt-port', 0),
    };
    const json = values.json ?? false;
    // What the checks need is loaded once the options are read: --help and bad usage answer at once.
    const [{ runDoctor }, { configPathOf }] = await Promise.all([
      import('../../app/doctor/index.js'),
      import('../command-config.js'),
    ]);
    const report = await runDoctor({
      configPath: configPathOf(values.config),
      ports,
      timeoutMs: Math.round(timeout * 1000),
      ...(json ? {} : { onCheck: (check: DoctorCheck) => process.stdout.write(line(check)) }),
    });
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const { pass, warn, fail, skip } = report.summary;
      process.stdout.write(
        `\n${pass} passed, ${warn} ${warn === 1 ? 'warning' : 'warnings'}, ${fail} failed, ${skip} skipped\n`,
      );
    }
    return report.ok ? 0 : 1;
  },
};

function line(check: DoctorCheck): string {
  const head = `${MARKS[check.status]}  ${check.name}: ${check.detail}\n`;
  return check.hint ? `${head}      → ${check.hint}\n` : head;
}
