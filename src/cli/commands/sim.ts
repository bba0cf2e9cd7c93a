import { CarrelError } from '../../core/errors.js';
import type { Command } from './index.js';

const HELP = new Set(['--help', '-h', 'help']);

/**
 * `carrel sim <kind> …`: runs one simulator alone. The kinds are the family
 * list's (src/app/families.ts); each simulator's own module is imported only
 * when it runs.
 */
export const simCommand: Command = {
  async run(argv) {
    const [kind, ...rest] = argv;
    const { SIMULATOR_FAMILIES } = await import('../../app/families.js');
    const width = Math.max(...SIMULATOR_FAMILIES.map((family) => family.kind.length)) + 2;
    const list = SIMULATOR_FAMILIES.map((family) => `  ${family.kind.padEnd(width)}${family.summary}`).join(
      '\n',
    );
    const usage = `usage: carrel sim <kind> [options]   (carrel sim <kind> --help for its options)\nWhere it listens goes to stdout, nothing else: a script starting it reads that. Its log goes\nto stderr, lines to read on a terminal, one JSON object a line otherwise (LOG_LEVEL, default info).\nsimulators:\n${list}`;
    if (kind !== undefined && HELP.has(kind)) {
      console.log(usage);
      return 0;
    }
    const simulator = SIMULATOR_FAMILIES.find((family) => family.kind === kind);
    if (!simulator) {
      throw new CarrelError(
        'usage',
        `${kind ? `unknown simulator "${kind}"` : 'which simulator?'}\n${usage}`,
      );
    }
    const run = await simulator.main();
    return run(rest);
  },
};
