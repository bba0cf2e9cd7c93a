/**
 * The one shape of `carrel sim <kind>`: parse the command line (strict; a
 * mistake is a usage error, exit 2), start the simulator with a logger on
 * stderr, print what a person or a script needs to reach it on stdout, run
 * until SIGINT or SIGTERM, close, flush. Each simulator says only which options
 * it takes, how it starts and what its banner shows.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CarrelError } from '../../src/core/errors.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { createPtyPair, type PtyPair } from './pty-pair.js';
import { untilStopSignal } from './until-signal.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export type OptionValues<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; strict: true }>
>['values'];

export interface RunningForMain {
  /** Lines printed on stdout once it runs: where its ports and pages are. */
  banner: string[];
  close(): Promise<void>;
}

export interface SimulatorMain<O extends Options> {
  options: O;
  start(values: OptionValues<O>, logger: Logger): Promise<RunningForMain>;
}

/** `(argv) => exit code` for the `carrel sim` table. */
export function simulatorMain<O extends Options>(
  spec: SimulatorMain<O>,
): (argv: string[]) => Promise<number> {
  return async (argv) => {
    if (asksForHelp(argv)) {
      console.log(optionsUsage(spec.options));
      return 0;
    }
    let values: OptionValues<O>;
    try {
      values = parseArgs({ args: argv, options: spec.options, strict: true, allowPositionals: false }).values;
    } catch (error) {
      throw new CarrelError('usage', `${(error as Error).message}\n${optionsUsage(spec.options)}`);
    }
    // The log on stderr (readable on a terminal, JSON otherwise): stdout is the banner, which a
    // script reads to learn where the simulator listens.
    const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', destination: process.stderr });
    const running = await spec.start(values, logger);
    // Listened for before the banner: a script that reads it and stops the simulator at once
    // would otherwise kill it outright (Node's own SIGTERM), its close never run.
    const stopped = untilStopSignal();
    for (const line of running.banner) console.log(line);
    await stopped;
    await running.close();
    logger.flush();
    return 0;
  };
}

/** `--help` or `-h` anywhere on a simulator's command line. */
export function asksForHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** The options a simulator takes, for its `--help` and its usage errors (the defaults are in `carrel sim --help`). */
export function optionsUsage(options: Options): string {
  const names = Object.entries(options).map(([name, option]) =>
    option.type === 'boolean' ? `--${name}` : `--${name} <value>`,
  );
  return `options: ${names.join(' ')}`;
}

/** A whole number option from 0 to `max` (a port: 65535), or `fallback` when absent. */
export function numberOption(value: string | undefined, name: string, fallback: number, max = 65535): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new CarrelError(
      'usage',
      max === 65535
        ? `--${name} must be a port number (0-65535), got "${value}"`
        : `--${name} must be a whole number 0-${max}, got "${value}"`,
    );
  return n;
}

/** Where a simulator listens: `--port`, `--http-port` (read with numberOption) and `--host`. */
export const LISTEN_OPTIONS = {
  port: { type: 'string' },
  'http-port': { type: 'string' },
  host: { type: 'string' },
} as const;

/** A simulator's serial line on a pty pair made with socat: `--pty`, and `--pty-dir` for where its links go. */
export const PTY_OPTIONS = {
  pty: { type: 'boolean' },
  'pty-dir': { type: 'string' },
} as const;

/** A running simulator whose device also speaks over a serial path. */
export interface SerialSimulator {
  attachSerialPath(path: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The simulator's serial line also on a pty pair when `--pty` asks (undefined without), and the close
 * of both. When the pair cannot be made or attached the simulator is closed and the error thrown.
 */
export async function servePty(
  values: { pty?: boolean | undefined; 'pty-dir'?: string | undefined },
  sim: SerialSimulator,
): Promise<{ pty: PtyPair | undefined; close(): Promise<void> }> {
  let pty: PtyPair | undefined;
  try {
    if (values.pty) {
      pty = await createPtyPair(values['pty-dir'] ? { dir: values['pty-dir'] } : {});
      await sim.attachSerialPath(pty.devicePath);
    }
  } catch (error) {
    await sim.close();
    throw error;
  }
  return {
    pty,
    close: async () => {
      await sim.close();
      await pty?.close();
    },
  };
}
