import type { ConfigIssue } from '../../core/config-issues.js';
import { CURRENT_CONFIG_VERSION } from './schema.js';

/** Raw configuration data as read from the file, before validation. */
export type RawConfig = Record<string, unknown>;

/**
 * Turns a version-N file into a version-(N+1) file. Receives its own copy and
 * may change it; says what it changed through `note`, for `carrel config check`.
 */
export type ConfigMigration = (raw: RawConfig, note: (text: string) => void) => RawConfig;

/** Keyed by the version a step migrates *from*. */
export type ConfigMigrations = Readonly<Record<number, ConfigMigration>>;

function isMapping(value: unknown): value is RawConfig {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Version 1 → 2: the ILS is an ordinary device. The `ils:` section becomes the
 * first entry of `devices:`, `{ id: ils, kind: ils, transport, …settings }`,
 * its address as the transport: `simulator` → `{ type: simulator }`, `tls` →
 * `{ type: tls, host, port, …tls }`, else `{ type: tcp, host, port }`.
 */
export function moveIlsIntoDevices(raw: RawConfig, note: (text: string) => void): RawConfig {
  const { ils, ...rest } = raw;
  if (ils === undefined) return rest;
  if (!isMapping(ils)) return raw; // not a section at all: the schema says so, at `ils`
  const { host, port, tls, simulator, ...settings } = ils;
  const transport =
    simulator !== undefined
      ? { type: 'simulator', simulator }
      : isMapping(tls)
        ? { type: 'tls', host, port, ...tls }
        : { type: 'tcp', host, port };
  const device = { id: 'ils', kind: 'ils', ...settings, transport };
  const devices = rest.devices;
  note(
    `the "ils" section is now the device "ils" (devices[0], kind ils, transport ${String(transport.type)}); version 2`,
  );
  if (devices === undefined) return { ...rest, devices: [device] };
  if (Array.isArray(devices)) return { ...rest, devices: [device, ...devices] };
  return { ...rest, devices }; // not a list: the schema says so, at `devices`
}

/**
 * The stepwise migrations of Carrel's own config format, keyed by the version a
 * step starts from. When version N+1 comes, add `N: (raw, note) => …` here and
 * raise CURRENT_CONFIG_VERSION in schema.ts. Shipped steps are never edited.
 */
export const configMigrations: ConfigMigrations = { 1: moveIlsIntoDevices };

export interface MigrationOptions {
  migrations?: ConfigMigrations;
  currentVersion?: number;
}

export type MigrationResult =
  | { ok: true; raw: RawConfig; from: number; notes: string[] }
  | { ok: false; issues: ConfigIssue[] };

/**
 * Brings a raw configuration up to the current version, one step at a time. A file with
 * no version, a version from the future or a version no step starts from is an error
 * the user can act on.
 */
export function migrateConfig(raw: RawConfig, options: MigrationOptions = {}): MigrationResult {
  const migrations = options.migrations ?? configMigrations;
  const current = options.currentVersion ?? CURRENT_CONFIG_VERSION;
  const fail = (message: string): MigrationResult => ({ ok: false, issues: [{ path: 'version', message }] });

  const version = raw.version;
  if (version === undefined || version === null) {
    return fail(`is missing: add \`version: ${current}\` at the top of the file`);
  }
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return fail(`must be a whole number such as ${current}, got ${JSON.stringify(version)}`);
  }
  if (version > current) {
    return fail(
      `is ${version}, but this Carrel understands config versions up to ${current}; upgrade Carrel to use this file`,
    );
  }

  let migrated = raw;
  const notes: string[] = [];
  for (let step = version; step < current; step++) {
    const migration = migrations[step];
    if (!migration) {
      return fail(
        `${version} is not a config version this Carrel can read (the first is ${firstVersion(migrations, current)})`,
      );
    }
    migrated = migration(structuredClone(migrated), (text) => notes.push(text));
    migrated.version = step + 1;
  }
  return { ok: true, raw: migrated, from: version, notes };
}

function firstVersion(migrations: ConfigMigrations, current: number): number {
  let first = current;
  while (migrations[first - 1]) first--;
  return first;
}
