import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CarrelError } from '../../core/errors.js';
import type { Command } from './index.js';

const USAGE = `usage:
  carrel config check FILE     validate a configuration file; exit 2 listing every error
  carrel config schema [FILE]  write the JSON Schema for editor completion (stdout without FILE)`;

export const configCommand: Command = {
  async run(argv) {
    const [action, file, ...extra] = argv;
    // The configuration's schema is loaded only for check and schema: --help answers at once.
    if (action === 'check' && file && extra.length === 0) {
      const { runConfigCheck } = await import('../../app/config.js');
      return runConfigCheck(file, (line) => console.log(line));
    }
    if (action === 'schema' && extra.length === 0) {
      const { jsonSchemaText } = await import('../../app/config.js');
      const text = jsonSchemaText();
      if (file) writeSchema(file, text);
      else process.stdout.write(text);
      return 0;
    }
    if (action === '--help' || action === '-h') {
      console.log(USAGE);
      return 0;
    }
    throw new CarrelError('usage', `expected "config check FILE" or "config schema [FILE]"\n${USAGE}`);
  },
};

/** Writes the schema file, or says in one line why it cannot (no stack trace for a wrong path). */
function writeSchema(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such folder (${dirname(file)})`
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder: name a file'
            : (error as Error).message;
    throw new CarrelError('cannot_write', `cannot write ${file}: ${why}`, { cause: error });
  }
}
