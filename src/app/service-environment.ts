/**
 * The desk's secrets as a packaged desk keeps them: `${env:NAME}` in the configuration, set by the
 * EnvironmentFile of carrel.service's drop-in (systemd/carrel.service says how) — which a shell
 * does not load, so commands IT runs by hand do not have them.
 */

/**
 * The file carrel.service's drop-in loads the desk's secrets from, as systemd/carrel.service says
 * to make it (the package makes none: `systemctl cat carrel` shows the one a desk has).
 */
export const SERVICE_ENVIRONMENT_FILE = '/etc/carrel/carrel.env';

/**
 * How to run `command` (`carrel doctor --config …`) from a shell with the variables the service's
 * EnvironmentFile sets, which a shell does not have.
 */
export function serviceEnvironmentHint(command: string): string {
  const file = SERVICE_ENVIRONMENT_FILE;
  return `the service sets such variables from its EnvironmentFile (${file} as carrel.service suggests; \`systemctl cat carrel\` shows the desk's), which a shell does not load: run it with that file, \`sudo sh -c 'set -a; . ${file}; set +a; exec ${command}'\`, or set them in this shell`;
}
