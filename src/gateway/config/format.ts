import type { ConfigError } from '../../core/errors.js';

/** One line per problem, indented: `  devices[0].transport.port: must be a number, got "abc"`. */
export function formatConfigErrors(error: ConfigError): string {
  return error.issues
    .map((issue) => (issue.path === '' ? `  ${issue.message}` : `  ${issue.path}: ${issue.message}`))
    .join('\n');
}

/**
 * `cannot read /etc/carrel/carrel.yml: no such file` when that is all the error says (the file is
 * not there, or not readable): a file never read is not "not valid", and has no problems to list.
 */
export function unreadConfig(error: ConfigError, path: string): string | undefined {
  const [issue, ...more] = error.issues;
  return more.length === 0 && issue?.path === '' && issue.message.startsWith(`cannot read ${path}: `)
    ? issue.message
    : undefined;
}
