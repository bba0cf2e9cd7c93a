import { CarrelError } from '../../core/errors.js';
import type { Command } from './index.js';

/**
 * `carrel sim <kind> …`: runs one simulator alone. The kinds are the family
 * list's (src/app/families.ts); each simulator's own module is imported only
 * when it runs.
 */
export const simCommand: Command = {
  async run(argv) {
    const [kind, ...rest] = argv;
    const { SIMULATOR_FAMILIES } = await import('../../app/families.js');
    const simulator = SIMULATOR_FAMILIES.find((family) => family.kind === kind);
    if (!simulator) {
      const list = SIMULATOR_FAMILIES.map((family) => `  ${family.kind.padEnd(10)} ${family.summary}`).join(
        '\n',
      );
      throw new CarrelError(
        'usage',
        `${kind ? `unknown simulator "${kind}"` : 'which simulator?'}\nsimulators:\n${list}`,
      );
    }
    const run = await simulator.main();
    return run(rest);
  },
};
