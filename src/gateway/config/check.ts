import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { formatConfigErrors } from './format.js';
import { describeReadProblem, parseConfigText } from './load.js';
import { configFormatFor } from './syntax.js';

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The body of `carrel config check FILE`: prints `ok: 2 devices, 1 simulator` and returns 0,
 * or prints every problem and returns 2. Never a stack trace for a bad or unreadable file.
 */
export function runConfigCheck(
  path: string,
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    out(`cannot read ${path}: ${describeReadProblem(error)}`);
    return 2;
  }
  try {
    const config = parseConfigText(text, configFormatFor(path), env);
    out(`ok: ${count(config.devices.length, 'device')}, ${count(config.simulators.length, 'simulator')}`);
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
