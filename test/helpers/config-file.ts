/**
 * Configuration files written for a run of the `carrel` command (config check, doctor, start), as
 * IT would write them: `writeConfigFile` puts an object as JSON, or lines as YAML, in a folder of the
 * test's and gives the file's path; `bareDesk` is a desk of no devices for commands that look at the
 * desk itself (its database, its ports).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDeskConfig } from '../../src/app/default-desk.js';

/** Writes `content` to `dir/name` — an object as JSON, lines as YAML (a last line end added). */
export function writeConfigFile(
  dir: string,
  name: string,
  content: Record<string, unknown> | readonly string[],
): string {
  const file = join(dir, name);
  writeFileSync(file, Array.isArray(content) ? [...content, ''].join('\n') : JSON.stringify(content));
  return file;
}

/**
 * A desk with no devices of the library's, gateway `gateway`, its database at `storage`: HTTP on a
 * port the system gives, no MQTT, unless `changes` say otherwise.
 */
export function bareDesk(
  gateway: string,
  storage: string,
  changes: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: defaultDeskConfig().version,
    site: 'library',
    gateway,
    http: { port: 0 },
    mqtt: { mode: 'off' },
    storage: { path: storage },
    devices: [],
    ...changes,
  };
}

/** A FEIG gate in notification mode, `exit-1`, as YAML lines of `devices:`: its own lines after. */
export function feigGateLines(lines: readonly string[]): string[] {
  return [
    '  - id: exit-1',
    '    kind: gate',
    '    driver: feig-notification',
    ...lines.map((line) => `    ${line}`),
  ];
}
