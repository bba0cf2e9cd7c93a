#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=16 --no-allocation-site-pretenuring --expose-gc
import { CarrelError } from '../core/errors.js';
import { findCommand, printUsage } from './commands/index.js';
import { failIfUnfinished } from './unfinished.js';

/**
 * `carrel <command> …`. Every command returns an exit code; a CarrelError becomes
 * one plain line on stderr (no stack trace): bad input is not a crash.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name !== 'start') endQuietlyOnClosedPipe();
  if (!name) {
    // Bad usage, as an unknown command is: the usage on stderr, exit 2.
    printUsage(process.stderr);
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    printUsage(process.stdout);
    return 0;
  }
  if (name === 'help') {
    // `carrel help start` is `carrel start --help`, as git and npm read it.
    const [topic] = rest;
    if (topic === 'help' || topic === '--help' || topic === '-h') {
      process.stdout.write(HELP_USAGE);
      return 0;
    }
    const loadTopic = findCommand(topic!);
    if (!loadTopic) {
      console.error(`carrel help: there is no command "${topic}"; the commands are:`);
      printUsage(process.stderr);
      return 2;
    }
    return (await loadTopic()).run(['--help']);
  }
  if (name === '--version' || name === '-v') {
    const { carrelVersion } = await import('./version.js');
    console.log(carrelVersion());
    return 0;
  }
  const load = findCommand(name);
  if (!load) {
    console.error(`carrel: unknown command "${name}"`);
    printUsage(process.stderr);
    return 2;
  }
  return (await load()).run(rest);
}

/** `carrel help help`: what the help command itself does. */
const HELP_USAGE = `usage: carrel help [<command>]

  carrel help            the list of commands, each with what it does
  carrel help <command>  that command's own help: its options and what each does,
                         the same as \`carrel <command> --help\`
`;

/**
 * `carrel doctor | head -3`, `carrel help | head -5`: once the reader has closed the pipe, what is
 * left to print has nowhere to go. The command ends there, as a shell's tools do (128 + SIGPIPE), instead of
 * Node's unhandled EPIPE with its stack trace. Not for the daemon, whose stdout is its log.
 */
function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
}

const command = main(process.argv.slice(2));
failIfUnfinished(process.argv[2] ?? '', command);
command.then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CarrelError) {
      console.error(`carrel: ${error.message}`);
      process.exitCode = error.code === 'usage' ? 2 : 1;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
