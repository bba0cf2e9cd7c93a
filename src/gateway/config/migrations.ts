import type { ConfigIssue } from './issues.js';
import { CURRENT_CONFIG_VERSION } from './schema.js';

/** Raw configuration data as read from the file, before validation. */
export type RawConfig = Record<string, unknown>;

/** Turns a version-N file into a version-(N+1) file. Receives its own copy and may change it. */
export type ConfigMigration = (raw: RawConfig) => RawConfig;

/** Keyed by the version a step migrates *from*. */
export type ConfigMigrations = Readonly<Record<number, ConfigMigration>>;

/**
 * The stepwise migrations of Carrel's own config format. Version 1 is the first, so
 * there are none yet. When version 2 comes, add `1: (raw) => …` here and raise
 * CURRENT_CONFIG_VERSION in schema.ts.
 */
export const configMigrations: ConfigMigrations = {};

export interface MigrationOptions {
  migrations?: ConfigMigrations;
  currentVersion?: number;
}

export type MigrationResult =
  | { ok: true; raw: RawConfig; from: number }
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
  for (let step = version; step < current; step++) {
    const migration = migrations[step];
    if (!migration) {
      return fail(
        `${version} is not a config version this Carrel can read (the first is ${firstVersion(migrations, current)})`,
      );
    }
    migrated = migration(structuredClone(migrated));
    migrated.version = step + 1;
  }
  return { ok: true, raw: migrated, from: version };
}

function firstVersion(migrations: ConfigMigrations, current: number): number {
  let first = current;
  while (migrations[first - 1]) first--;
  return first;
}
