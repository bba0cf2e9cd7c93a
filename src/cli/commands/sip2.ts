/**
 * `carrel sip2`: a SIP2 console for IT staff. Talks to the ILS with the same
 * client the gateway uses and prints each answer as JSON; `--wire` also traces
 * the frames (PINs, passwords, patron data and item barcodes masked) on stderr,
 * so stdout stays JSON. One command per run, or `shell` for many on one login.
 * The exit status says what came of it (USAGE in sip2-args.ts).
 */
import { Readable } from 'node:stream';
import { CarrelError } from '../../core/errors.js';
import { type IlsConfig, parseIlsConfig } from '../../devices/ils/index.js';
import type { Command } from './index.js';
import {
  type ConsoleValues,
  connectionConfig,
  parseConsoleArgs,
  USAGE,
  usageFromConfigError,
} from './sip2-args.js';
import { commandNamed, Sip2Console } from './sip2-console.js';
import { EXIT } from './sip2-outcome.js';
import { isSip2SessionCommand, runSip2SessionCommand } from './sip2-session.js';
import { runSip2Shell, type ShellIo } from './sip2-shell.js';
import { WireTrace } from './sip2-trace.js';

export interface Sip2ConsoleIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The shell's input; default none (the shell then ends at once). */
  stdin?: ShellIo['stdin'];
}

/** The console with its streams given (tests capture them). */
export function createSip2Command(io: Sip2ConsoleIo): Command {
  return {
    async run(argv) {
      const { values, positionals } = parseConsoleArgs(argv);
      if (values.help) {
        io.stdout.write(USAGE);
        return EXIT.ok;
      }
      const [name, ...args] = positionals;
      const shell = name === 'shell';
      try {
        if (shell && args.length > 0) throw new CarrelError('usage', 'sip2 shell takes no arguments');
        if (!shell && values['save-history'])
          throw new CarrelError('usage', '--save-history goes with shell');
        if (!shell) commandNamed(name, args);
      } catch (error) {
        throw new CarrelError('usage', `${(error as Error).message}\n${USAGE}`);
      }
      // Options are read before anything is sent: bad usage never reaches the ILS.
      if (!shell) commandNamed(name, args).prepare(args, values);
      const config = ilsConfig(values, io.env);
      const trace = new WireTrace({
        ...(values.wire && { out: io.stderr }),
        unmaskItems: values['unmask-items'] ?? false,
      });
      const session = new Sip2Console(config, trace, {
        stdout: io.stdout,
        stderr: io.stderr,
        format: shell ? 'line' : 'pretty',
      });
      // login and status alone send their one message on a connection of their own.
      if (!shell && isSip2SessionCommand(name!)) {
        try {
          return session.answered(name!, await runSip2SessionCommand(name!, config, trace.listener));
        } catch (error) {
          return session.fail(name!, error, undefined);
        }
      }
      try {
        const connected = await session.connect(name!);
        if (connected !== EXIT.ok) return connected;
        if (shell) {
          return await runSip2Shell(
            session,
            { stdin: io.stdin ?? Readable.from([]), stdout: io.stdout, stderr: io.stderr, env: io.env },
            values['save-history'] ?? false,
          );
        }
        return await session.run(name!, args, values);
      } finally {
        await session.close();
      }
    },
  };
}

export const sip2Command: Command = createSip2Command({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
});

function ilsConfig(values: ConsoleValues, env: NodeJS.ProcessEnv): IlsConfig {
  const input = connectionConfig(values, env);
  try {
    return parseIlsConfig(input);
  } catch (error) {
    return usageFromConfigError(error);
  }
}
