import { type CarrelConfig, loadConfigFile } from '../app/config.js';
import { defaultDeskConfig } from '../app/default-desk.js';
import { ConfigError } from '../core/errors.js';
import { formatConfigErrors, unreadConfig } from '../gateway/config/format.js';

/**
 * The configuration file a command was given: its --config, else CARREL_CONFIG. An empty
 * CARREL_CONFIG (`CARREL_CONFIG=` in a unit file or a shell) is none, as an unset one is.
 */
export function configPathOf(option: string | undefined): string | undefined {
  return option ?? (process.env.CARREL_CONFIG || undefined);
}

/**
 * A command's configuration: the file at `path` (its --config, or CARREL_CONFIG), else the
 * simulated desk's. Undefined once it has said on stderr why the file is not valid, field by
 * field: the command then exits 2.
 */
export function loadCommandConfig(path: string | undefined): CarrelConfig | undefined {
  try {
    return path ? loadConfigFile(path) : defaultDeskConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unread = path === undefined ? undefined : unreadConfig(error, path);
    if (unread) {
      console.error(`carrel: ${unread}`);
      return undefined;
    }
    console.error(`carrel: ${path ?? 'configuration'} is not valid:`);
    console.error(formatConfigErrors(error));
    return undefined;
  }
}
