import { type Logger, pino } from 'pino';
import { prettyStream } from './log-pretty.js';

export type { Logger } from 'pino';

/**
 * Patron identifiers, names, PINs, SIP2 passwords and API tokens never reach a
 * log line. These keys are censored wherever they appear at the top level or one
 * level down (pino's redaction paths do not recurse further, so code logs flat
 * objects). SIP2 frames are masked before they are logged (see protocols/sip2).
 */
export const REDACTED_KEYS = [
  'patron',
  'patronId',
  'patronIdentifier',
  'patronName',
  'name',
  'pin',
  'password',
  'passwd',
  'token',
  'authorization',
  'email',
  'phone',
  'address',
];

export const REDACT_PATHS = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: string;
  /**
   * `json` (one object per line, for the journal and log shippers), `pretty` (for a person), or
   * `auto`: pretty when the stream the lines go to is a terminal, JSON otherwise.
   */
  format?: 'auto' | 'json' | 'pretty';
  /** Where lines go; stdout when omitted. A command whose stdout is for scripts logs on stderr. */
  destination?: NodeJS.WritableStream;
}

/** The root logger. Modules take a child: `logger.child({ module: 'printer' })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'carrel' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destinationOf(options),
  );
}

function destinationOf(options: LoggerOptions): pino.DestinationStream {
  const format = options.format ?? 'auto';
  const stream = options.destination ?? process.stdout;
  // A terminal says so on its stream (process.stderr as much as process.stdout); a pipe, a file or
  // a stream of a test does not.
  const terminal = (stream as { isTTY?: unknown }).isTTY === true;
  if (format === 'pretty' || (format === 'auto' && terminal)) return prettyStream(stream);
  return options.destination ?? pino.destination({ sync: false });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
