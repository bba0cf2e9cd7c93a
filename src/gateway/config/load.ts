import type { z } from 'zod';
import {
  type ConfigIssue,
  describeZodIssue,
  formatConfigPath,
  suggestKey,
} from '../../core/config-issues.js';
import { ConfigError } from '../../core/errors.js';
import { FileTooLargeError, readFileUpTo, whyUnreadable } from '../../core/read-up-to.js';
import { substituteEnv } from './env.js';
import { type ConfigMigrations, type MigrationOptions, migrateConfig, type RawConfig } from './migrations.js';
import { knownKeysAt } from './schema-keys.js';
import { type ConfigFormat, configFormatFor, parseConfigSyntax } from './syntax.js';

export type { ConfigIssue } from '../../core/config-issues.js';
export type { ConfigFormat } from './syntax.js';

/** What a configuration format is: its schema, its version and the steps from older versions. */
export interface ConfigSpec<Config> {
  schema: z.ZodType<Config, unknown>;
  currentVersion: number;
  migrations: ConfigMigrations;
}

export interface LoadOptions extends MigrationOptions {
  /** Told what each migration step changed ("the ils section is now the device ils"). */
  onMigrated?: (note: string) => void;
}

/** Stands in for zod's own wording, so we can tell it apart from messages the schema wrote. */
const DEFAULT_MESSAGE = '\u0000carrel-default';

/** Turns zod's issues into Carrel's: one per problem, each with a path and a sentence. */
export function describeSchemaIssues(
  schema: z.core.$ZodType,
  issues: ReadonlyArray<z.core.$ZodIssue>,
  raw: unknown,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path, raw);
      for (const key of issue.keys) {
        const suggestion = suggestKey(key, known);
        const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
        out.push({
          path: formatConfigPath([...issue.path, key]),
          message: `unknown setting "${key}"${hint}`,
        });
      }
      continue;
    }
    const hasCustom = issue.message !== DEFAULT_MESSAGE;
    out.push({ path: formatConfigPath(issue.path), message: describeZodIssue(issue, hasCustom) });
  }
  return out;
}

/** Freezes an object and everything under it: the loaded config is never changed in place. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function isRawConfig(value: unknown): value is RawConfig {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses, substitutes `${env:NAME}`, migrates and validates configuration text.
 * Throws ConfigError listing every problem found, each with its path.
 */
export function parseConfigWith<Config>(
  spec: ConfigSpec<Config>,
  text: string,
  format: ConfigFormat,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): Config {
  const syntax = parseConfigSyntax(text, format);
  if (!syntax.ok) throw new ConfigError(syntax.issues);

  const issues: ConfigIssue[] = [];
  const substituted = substituteEnv(syntax.raw, env);
  issues.push(...substituted.issues);
  // Already reported (unset variable): zod need not say the same place is wrong again.
  const reported = new Set(substituted.issues.map((issue) => issue.path));
  let raw = substituted.value;
  if (!isRawConfig(raw)) throw new ConfigError(issues);

  const migration = migrateConfig(raw, {
    migrations: options.migrations ?? spec.migrations,
    currentVersion: options.currentVersion ?? spec.currentVersion,
  });
  if (!migration.ok) {
    issues.push(...migration.issues);
    // A file from a newer Carrel would only produce noise; a file missing its version
    // is checked as if it had the current one, so every other mistake shows too.
    if (raw.version !== undefined && raw.version !== null) throw new ConfigError(issues);
    raw = { ...raw, version: options.currentVersion ?? spec.currentVersion };
    reported.add('version');
  } else {
    raw = migration.raw;
    for (const note of migration.notes) options.onMigrated?.(note);
  }

  const result = spec.schema.safeParse(raw, { reportInput: true, error: () => DEFAULT_MESSAGE });
  if (result.success && issues.length === 0) return deepFreeze(result.data);
  if (!result.success) {
    for (const issue of describeSchemaIssues(spec.schema, result.error.issues, raw)) {
      if (!reported.has(issue.path)) issues.push(issue);
    }
  }
  throw new ConfigError(issues);
}

/** A short reason a configuration file could not be read: "no such file", "permission denied". */
export function describeReadProblem(error: unknown): string {
  if (error instanceof FileTooLargeError) return `${error.message}, so not a configuration file`;
  return whyUnreadable(error);
}

/**
 * The most a configuration file may hold. A desk's is a few kilobytes; this leaves room for
 * thousands of devices.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * A configuration file's text, up to MAX_CONFIG_BYTES: UTF-8, or UTF-16 where the file starts with
 * its byte order mark (Notepad's "Unicode", PowerShell 5's `>`), which a Windows editor may have
 * saved it as. A byte order mark is dropped, not read as a character of the settings.
 */
export function readConfigText(path: string): string {
  const bytes = readFileUpTo(path, MAX_CONFIG_BYTES);
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? 'utf-16le'
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? 'utf-16be'
        : 'utf-8';
  return new TextDecoder(encoding).decode(bytes);
}

/** Reads and validates a YAML (`.yaml`, `.yml`) or JSON (`.json`) configuration file. */
export function loadConfigFileWith<Config>(
  spec: ConfigSpec<Config>,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): Config {
  let text: string;
  try {
    text = readConfigText(path);
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read ${path}: ${describeReadProblem(error)}` }]);
  }
  return parseConfigWith(spec, text, configFormatFor(path), env, options);
}
