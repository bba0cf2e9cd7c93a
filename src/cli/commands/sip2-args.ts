/**
 * `carrel sip2`'s arguments: the usage text (with the exit statuses), the options,
 * the connection config built from them, and the readers of per-command options.
 */
import { ZodError } from 'zod';
import { CarrelError } from '../../core/errors.js';
import type { IlsConfigInput } from '../../devices/ils/index.js';
import {
  SIP2_CHARSETS,
  type Sip2Charset,
  SUMMARY_ITEMS,
  type SummaryItems,
} from '../../protocols/sip2/index.js';
import { parseCommandArgs, portOption } from '../args.js';

export const USAGE = `usage: carrel sip2 --host HOST --port PORT [connection options] <command> [arguments]
       carrel sip2 --host HOST --port PORT [connection options] shell [--save-history]

connection options:
  --host HOST --port PORT     the ILS's SIP2 service
  --tls [--ca FILE] [--cert FILE --key FILE] [--server-name NAME] [--insecure]
  --user USER --password PW   93 login (password also from CARREL_SIP2_PASSWORD)
  --location CODE             login location (CP), checkin location (AP)
  --institution ID            institution id (AO); default the one the ILS gives in its status (98)
  --terminal-password PW      terminal password (AC)
  --charset utf-8|ascii|iso-8859-1|ibm850
  --error-detection           send AY/AZ sequence numbers and checksums
  --crlf                      terminate frames with CR LF
  --timeout MS                per-request timeout (default 10000)
  --per-transaction           connect, log in, request, end session, close
  --wire                      trace the frames sent (>) and received (<) on stderr, with times;
                              bytes outside printable ASCII as \\xHH; PINs, passwords, patron
                              data and item barcodes masked
  --unmask-items              show item barcodes (AB and item lists) in the trace; patron data
                              stays masked
  --force                     send a request the ILS's status (BX in its 98) says it does not support

commands:
  status                                  SC status (99), after the login when --user is given
  login                                   login (93) alone
  patron-status PATRON [--pin PIN]        (23)
  patron-info PATRON [--pin PIN] [--summary hold|overdue|charged|fine|recall|unavailable] [--start N --end N]
  item-info ITEM                          (17)
  checkout PATRON ITEM [--pin PIN] [--fee-acknowledged] [--no-block] [--nb-due-date YYYYMMDD]
  checkin ITEM [--no-block]               (09)
  renew PATRON [ITEM] [--pin PIN] [--title TITLE] [--fee-acknowledged]
  renew-all PATRON [--pin PIN]            (65)
  hold PATRON [ITEM] [--mode add|delete|change] [--title T] [--pickup LOC] [--pin PIN]
  fee-paid PATRON AMOUNT [--fee-type T] [--payment-type T] [--currency XXX] [--fee-id ID] [--pin PIN]
                                          (37; the currency defaults to the ILS's, BH of the patron)
  block-patron PATRON [--message TEXT] [--card-retained]
  patron-enable PATRON [--pin PIN]        (25)
  item-status-update ITEM PROPERTIES      (19)
  end-session PATRON [--pin PIN]          (35)
  raw FRAME                               any frame; AY/AZ added with --error-detection
  shell                                   one login, then commands read line by line from stdin
                                          (also help, history, quit); one JSON answer per line;
                                          --save-history keeps the lines, PINs masked, in
                                          $XDG_STATE_HOME/carrel/sip2-history

exit status:
  0  the ILS answered and did what was asked
  1  the ILS refused: login refused, ok 0, invalid patron or PIN, payment not accepted,
     off-line, or a message its status (BX) says it does not support
  2  bad usage
  3  no answer: connection refused or lost, timeout, TLS failure
  (shell: the status of the last command)
`;

export const CONNECTION_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'server-name': { type: 'string' },
  insecure: { type: 'boolean' },
  user: { type: 'string' },
  password: { type: 'string' },
  location: { type: 'string' },
  institution: { type: 'string' },
  'terminal-password': { type: 'string' },
  charset: { type: 'string' },
  'error-detection': { type: 'boolean' },
  crlf: { type: 'boolean' },
  timeout: { type: 'string' },
  'per-transaction': { type: 'boolean' },
  wire: { type: 'boolean' },
  'unmask-items': { type: 'boolean' },
  'save-history': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options of one request: on the command line, or on a shell line. */
export const REQUEST_OPTIONS = {
  pin: { type: 'string' },
  summary: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'fee-acknowledged': { type: 'boolean' },
  'no-block': { type: 'boolean' },
  'nb-due-date': { type: 'string' },
  title: { type: 'string' },
  mode: { type: 'string' },
  pickup: { type: 'string' },
  'fee-type': { type: 'string' },
  'payment-type': { type: 'string' },
  currency: { type: 'string' },
  'fee-id': { type: 'string' },
  message: { type: 'string' },
  'card-retained': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

const OPTIONS = { ...CONNECTION_OPTIONS, ...REQUEST_OPTIONS } as const;

export type ConsoleValues = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];
export type RequestValues = ReturnType<typeof parseCommandArgs<typeof REQUEST_OPTIONS>>['values'];

export function parseConsoleArgs(argv: string[]) {
  return parseCommandArgs(argv, OPTIONS);
}

/** A shell line's arguments: request options only; connection options were given when the shell started. */
export function parseShellArgs(argv: string[]) {
  const connection = argv.find((arg) => {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    return name !== undefined && name in CONNECTION_OPTIONS;
  });
  if (connection !== undefined) {
    throw new CarrelError(
      'usage',
      `${connection.split('=')[0]} is a connection option: give it when starting the shell`,
    );
  }
  return parseCommandArgs(argv, REQUEST_OPTIONS);
}

export function connectionConfig(values: ConsoleValues, env: NodeJS.ProcessEnv): IlsConfigInput {
  if (!values.host) throw new CarrelError('usage', 'sip2: --host is required');
  if (!values.port) throw new CarrelError('usage', 'sip2: --port is required');
  const charset = values.charset ?? 'utf-8';
  if (!SIP2_CHARSETS.includes(charset as Sip2Charset)) {
    throw new CarrelError('usage', `sip2: --charset must be one of ${SIP2_CHARSETS.join(', ')}`);
  }
  const timeout = values.timeout === undefined ? 10_000 : Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 50)
    throw new CarrelError('usage', 'sip2: --timeout must be milliseconds ≥ 50');
  const tls = values.tls || values.ca !== undefined || values.cert !== undefined;
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new CarrelError('usage', 'sip2: --cert and --key go together');
  }
  return {
    host: values.host,
    port: portOption(values.port, 'port', 0),
    ...(tls && {
      tls: {
        caFile: values.ca,
        certFile: values.cert,
        keyFile: values.key,
        serverName: values['server-name'],
        rejectUnauthorized: !values.insecure,
      },
    }),
    user: values.user,
    password: values.password ?? env.CARREL_SIP2_PASSWORD ?? '',
    location: values.location ?? '',
    institution: values.institution ?? '',
    terminalPassword: values['terminal-password'] ?? '',
    charset: charset as Sip2Charset,
    errorDetection: values['error-detection'] ?? false,
    terminator: values.crlf ? 'CRLF' : 'CR',
    requestTimeoutMs: timeout,
    heartbeatSeconds: 0,
    pool: { size: 1, maxWaiting: 0 },
    perTransaction: values['per-transaction'] ?? false,
  };
}

/** A ZodError from the ILS config (a `|` in --user, say) as a usage error naming the option. */
export function usageFromConfigError(error: unknown): never {
  if (!(error instanceof ZodError)) throw error;
  const issues = error.issues.map((issue) => `--${String(issue.path.at(-1) ?? '')}: ${issue.message}`);
  throw new CarrelError('usage', `sip2: ${issues.join('; ')}`);
}

const SUMMARY_NAMES: Record<string, SummaryItems> = {
  hold: 'holdItems',
  overdue: 'overdueItems',
  charged: 'chargedItems',
  fine: 'fineItems',
  recall: 'recallItems',
  unavailable: 'unavailableHoldItems',
};

export function summaryOption(value: string | undefined): SummaryItems | undefined {
  if (value === undefined) return undefined;
  const summary =
    SUMMARY_NAMES[value] ??
    (SUMMARY_ITEMS.includes(value as SummaryItems) ? (value as SummaryItems) : undefined);
  if (!summary)
    throw new CarrelError('usage', `sip2: --summary must be one of ${Object.keys(SUMMARY_NAMES).join(', ')}`);
  return summary;
}

export function rangeOption(values: RequestValues): { start: number; end: number } | undefined {
  if (values.start === undefined && values.end === undefined) return undefined;
  const start = Number(values.start ?? 1);
  const end = Number(values.end ?? start);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
    throw new CarrelError('usage', 'sip2: --start and --end must be whole numbers, 1 ≤ start ≤ end');
  }
  return { start, end };
}

export function dateOption(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  if (!match) throw new CarrelError('usage', 'sip2: dates are YYYYMMDD or YYYY-MM-DD');
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 0);
}

export function enumOption<N extends string>(
  value: string | undefined,
  names: ReadonlyMap<N, unknown>,
  option: string,
): N | undefined {
  if (value === undefined) return undefined;
  if (!names.has(value as N))
    throw new CarrelError('usage', `sip2: --${option} must be one of ${[...names.keys()].join(', ')}`);
  return value as N;
}

export function currencyOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Z]{3}$/.test(value))
    throw new CarrelError('usage', 'sip2: --currency is a 3-letter ISO 4217 code, like EUR');
  return value;
}
