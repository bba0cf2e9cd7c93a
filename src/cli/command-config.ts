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

/** What a command reads of the configuration beyond where things are. */
export interface CommandConfigUse {
  /**
   * `false` for a command that reads none of the secrets (`carrel backup`, `restore`, `mqtt acl`):
   * a `${env:NAME}` that is not set does not make the file invalid for it. A packaged desk's
   * secrets are set by carrel.service's EnvironmentFile, which neither a shell nor
   * carrel-backup.service loads, and the nightly backup must not fail for a password it never uses.
   */
  secrets?: boolean;
}

/**
 * A command's configuration: the file at `path` (its --config, or CARREL_CONFIG), else the
 * simulated desk's. Undefined once it has said on stderr why the file is not valid, field by
 * field: the command then exits 2.
 */
export function loadCommandConfig(
  path: string | undefined,
  use: CommandConfigUse = {},
): CarrelConfig | undefined {
  try {
    const env = use.secrets === false ? secretsNotRead(process.env) : process.env;
    return path ? loadConfigFile(path, env) : defaultDeskConfig();
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

/**
 * The environment as a command that reads no secret sees it: a variable not set reads as a
 * stand-in naming it (16 characters or more, as a token must be), which that command never uses.
 */
function secretsNotRead(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return new Proxy(env, {
    get: (values, name) =>
      typeof name === 'string' && values[name] === undefined ? standIn(name) : Reflect.get(values, name),
  });
}

const standIn = (name: string) => `(${name} is not set: not read by this command)`;
const STAND_IN = /\(([^\s()]+) is not set: not read by this command\)/;

/**
 * The variable a value of a configuration loaded with `secrets: false` was taken from, when that
 * variable is not set (the value is then its stand-in): a command that does use the value — `mqtt
 * acl` prints the user names — refuses it, naming the variable. Undefined for any other value.
 */
export function unsetVariableIn(value: string): string | undefined {
  return STAND_IN.exec(value)?.[1];
}
