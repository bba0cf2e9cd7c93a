#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
import { CarrelError } from '../core/errors.js';
import { findCommand, printUsage } from './commands/index.js';

/**
 * `carrel <command> …`. Every command returns an exit code; a CarrelError becomes
 * one plain line on stderr (no stack trace): bad input is not a crash.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printUsage(process.stdout);
    return name ? 0 : 1;
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

main(process.argv.slice(2)).then(
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
