import { ConfigError } from '../../core/errors.js';
import { formatConfigErrors } from './format.js';
import { type ConfigSpec, describeReadProblem, parseConfigWith, readConfigText } from './load.js';
import { configFormatFor } from './syntax.js';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The body of `carrel config check FILE`: prints `ok: 2 devices, 1 simulator` and returns 0,
 * or prints every problem and returns 2. Never a stack trace for a bad or unreadable file.
 */
export function runConfigCheck(
  spec: ConfigSpec<{ devices: readonly unknown[]; simulators: readonly unknown[] }>,
  path: string,
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): number {
  let text: string;
  try {
    text = readConfigText(path);
  } catch (error) {
    out(`cannot read ${path}: ${describeReadProblem(error)}`);
    return 2;
  }
  try {
    const notes: string[] = [];
    const config = parseConfigWith(spec, text, configFormatFor(path), env, {
      onMigrated: (note) => notes.push(note),
    });
    out(`ok: ${count(config.devices.length, 'device')}, ${count(config.simulators.length, 'simulator')}`);
    for (const note of notes) out(`migrated: ${note}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.issues.length === 1) {
      out(`${path}: ${formatConfigErrors(error).trim()}`);
      return 2;
    }
    out(`${path}: ${count(error.issues.length, 'error')}`);
    for (const line of formatConfigErrors(error).split('\n')) out(line);
    return 2;
  }
}
