/**
 * Carrel's configuration for the families this build knows (src/app/families.ts):
 * the schema, its TypeScript type, loading with migrations, `carrel config
 * check` and the JSON Schema for editors. The machinery is in
 * src/gateway/config; what is particular to this desk's families is here.
 */
import { writeFileSync } from 'node:fs';
import type { z } from 'zod';
import type { SimulatorConfigOf } from '../../simulators/common/family.js';
import { isLoopbackHost } from '../core/net.js';
import { runConfigCheck as runCheck } from '../gateway/config/check.js';
import {
  generateJsonSchema as jsonSchemaOf,
  jsonSchemaText as jsonSchemaTextOf,
} from '../gateway/config/json-schema.js';
import {
  type ConfigSpec,
  type LoadOptions,
  loadConfigFileWith,
  parseConfigWith,
} from '../gateway/config/load.js';
import { configMigrations } from '../gateway/config/migrations.js';
import {
  buildConfigSchema,
  CURRENT_CONFIG_VERSION,
  type DeskCheck,
  type DeskSections,
} from '../gateway/config/schema.js';
import type { ConfigFormat } from '../gateway/config/syntax.js';
import {
  carrelsListeners,
  gatesBesideCarrelsListeners,
  listenersOverlap,
} from '../gateway/families/gate/index.js';
import { ilsLinks } from '../gateway/families/ils/index.js';
import { receiptPrinters } from '../gateway/families/receipt-printer/index.js';
import type { ConfigOf } from '../gateway/family.js';
import { DEVICE_FAMILIES, type Family, SIMULATOR_FAMILIES } from './families.js';
import {
  devicesDialApartFromCarrel,
  externalBrokerApartFromCarrel,
  simulatorsApartFromCarrel,
} from './own-ports-checks.js';

/** One entry of `devices:`, of any family. */
export type DeviceConfig = ConfigOf<Family['device']>;
/** One entry of `simulators:`, of any kind. */
export type SimulatorConfig = SimulatorConfigOf<Family['simulator']>;

/** The validated configuration: frozen, defaults filled. */
export type CarrelConfig = DeskSections & { devices: DeviceConfig[]; simulators: SimulatorConfig[] };

/** The relay answers for the desk's ILS: without one it has nothing to relay to. */
const relayNeedsAnIls: DeskCheck = (config, issue) => {
  if (config.sip2Relay !== undefined && !config.devices.some((device) => device.kind === ilsLinks.kind))
    issue(['sip2Relay'], 'the SIP2 relay needs an ILS device (kind: ils) to relay to');
};

/** The end-of-session receipt goes to a configured receipt printer. */
const sessionReceiptsOnAPrinter: DeskCheck = (config, issue) => {
  const printer = config.sessions.receipt.printer;
  if (
    printer !== undefined &&
    !config.devices.some((d) => d.id === printer && d.kind === receiptPrinters.kind)
  )
    issue(['sessions', 'receipt', 'printer'], `no receipt printer with id "${printer}" is configured`);
};

/**
 * Without tokens every caller may do anything, which is this machine's users' right only: the API
 * and the embedded broker are served beyond it only with tokens. The features refuse to start so
 * (http/server.ts, mqtt-feature.ts); said here too, `carrel config check` does not pass a file
 * that `carrel start` would refuse, and the start says it with every other mistake of the file.
 */
const openBindsNeedTokens: DeskCheck = (config, issue) => {
  if (config.auth.tokens.length > 0) return;
  if (!isLoopbackHost(config.http.host))
    issue(
      ['http', 'host'],
      `refusing to serve the API on ${config.http.host} with no tokens configured: add auth.tokens or bind 127.0.0.1`,
    );
  if (config.mqtt.mode === 'embedded' && !isLoopbackHost(config.mqtt.host))
    issue(
      ['mqtt', 'host'],
      `refusing to serve MQTT on ${config.mqtt.host} with no tokens configured: add auth.tokens or bind 127.0.0.1`,
    );
};

/**
 * Carrel's own listeners (its HTTP API, its embedded broker, its SIP2 relay) on one port where they
 * cannot both listen: the second would not start, and the desk would say another program held the
 * port. Said against the later section, naming the earlier. A port 0 is the system's choice, never
 * another's. (The command line's --http-port/--mqtt-port: app/port-options.ts.)
 */
const ownListenersApart: DeskCheck = (config, issue) => {
  const own = carrelsListeners(config);
  own.forEach((listener, index) => {
    if (listener.port === 0) return;
    const earlier = own
      .slice(0, index)
      .find((other) => other.port === listener.port && listenersOverlap(other.host, listener.host));
    if (earlier)
      issue(
        [listener.section, 'port'],
        `${listener.section}.port ${listener.port} would put ${listener.what} where Carrel serves ${earlier.what} (${earlier.section}: ${earlier.host}:${earlier.port}): they cannot both listen there — choose another ${listener.section}.port`,
      );
  });
};

export const configSchema = buildConfigSchema({
  families: DEVICE_FAMILIES,
  simulators: SIMULATOR_FAMILIES,
  checks: [
    relayNeedsAnIls,
    sessionReceiptsOnAPrinter,
    openBindsNeedTokens,
    ownListenersApart,
    gatesBesideCarrelsListeners,
    devicesDialApartFromCarrel,
    simulatorsApartFromCarrel,
    externalBrokerApartFromCarrel,
  ],
}) as z.ZodType<CarrelConfig, unknown>;

export const carrelConfig: ConfigSpec<CarrelConfig> = {
  schema: configSchema,
  currentVersion: CURRENT_CONFIG_VERSION,
  migrations: configMigrations,
};

/** Reads, migrates and validates a YAML or JSON configuration file; throws ConfigError with every problem. */
export function loadConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
) {
  return loadConfigFileWith(carrelConfig, path, env, options);
}

/** The same for configuration text. */
export function parseConfigText(
  text: string,
  format: ConfigFormat,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): CarrelConfig {
  return parseConfigWith(carrelConfig, text, format, env, options);
}

/** The body of `carrel config check FILE`. */
export function runConfigCheck(
  path: string,
  out: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
) {
  return runCheck(carrelConfig, path, out, env);
}

/** The JSON Schema of the config file, for editors (`carrel config schema`). */
export function generateJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(configSchema);
}

/** The text of schema/carrel.schema.json. */
export function jsonSchemaText(): string {
  return jsonSchemaTextOf(configSchema);
}

/** Writes the JSON Schema to `path` (what `carrel config schema --write` does). */
export function writeJsonSchema(path: string): void {
  writeFileSync(path, jsonSchemaText());
}
