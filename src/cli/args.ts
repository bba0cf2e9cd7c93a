import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CarrelError } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';

/** parseArgs with strict checking, turning its errors into one usage line. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new CarrelError('usage', error instanceof Error ? error.message : String(error));
  }
}

/** A `--log-level` value, one of the logger's levels. */
export function logLevelOption(value: string | undefined, fallback: LogLevel): LogLevel {
  if (value === undefined) return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new CarrelError('usage', `--log-level is one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value as LogLevel;
}

export function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CarrelError('usage', `--${name} must be a port number 0-65535, got "${value}"`);
  }
  return port;
}
