import type { ConfigError } from '../../core/errors.js';

/** One line per problem, indented: `  devices[0].transport.port: must be a number, got "abc"`. */
export function formatConfigErrors(error: ConfigError): string {
  return error.issues
    .map((issue) => (issue.path === '' ? `  ${issue.message}` : `  ${issue.path}: ${issue.message}`))
    .join('\n');
}
