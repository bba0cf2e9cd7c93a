/**
 * `carrel sip2`: a SIP2 console for IT staff. Talks to the ILS with the same
 * client the gateway uses and prints each answer as JSON; `--wire` also shows
 * the frames (PINs, passwords and patron data masked) on stderr, so stdout
 * stays JSON.
 */
import { CarrelError, describeError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { Sip2Exchange, Sip2FrameListener } from '../../devices/ils/connection.js';
import { IlsClient, type IlsConfig, type IlsConfigInput, parseIlsConfig } from '../../devices/ils/index.js';
import {
  decodeSip2Text,
  FEE_TYPE,
  type FeeType,
  HOLD_MODE,
  type HoldMode,
  maskFrame,
  PAYMENT_TYPE,
  type PaymentType,
  SIP2_CHARSETS,
  type Sip2Charset,
  SUMMARY_ITEMS,
  type SummaryItems,
} from '../../protocols/sip2/index.js';
import { parseCommandArgs, portOption } from '../args.js';
import type { Command } from './index.js';
import { runSip2SessionCommand, type Sip2SessionCommand } from './sip2-session.js';

const USAGE = `usage: carrel sip2 --host HOST --port PORT [connection options] <command> [arguments]

connection options:
  --host HOST --port PORT     the ILS's SIP2 service
  --tls [--ca FILE] [--cert FILE --key FILE] [--server-name NAME] [--insecure]
  --user USER --password PW   93 login (password also from CARREL_SIP2_PASSWORD)
  --location CODE             login location (CP), checkin location (AP)
  --institution ID            institution id (AO)
  --terminal-password PW      terminal password (AC)
  --charset utf-8|ascii|iso-8859-1|ibm850
  --error-detection           send AY/AZ sequence numbers and checksums
  --crlf                      terminate frames with CR LF
  --timeout MS                per-request timeout (default 10000)
  --per-transaction           connect, log in, request, end session, close
  --wire                      print the frames sent (>) and received (<), masked, on stderr

commands:
  status                                  SC status (99), after the login when --user is given
  login                                   login (93) alone; exits 1 when the ILS refuses it
  patron-status PATRON [--pin PIN]        (23)
  patron-info PATRON [--pin PIN] [--summary hold|overdue|charged|fine|recall|unavailable] [--start N --end N]
  item-info ITEM                          (17)
  checkout PATRON ITEM [--pin PIN] [--fee-acknowledged] [--no-block] [--nb-due-date YYYYMMDD]
  checkin ITEM [--no-block]               (09)
  renew PATRON [ITEM] [--pin PIN] [--title TITLE] [--fee-acknowledged]
  renew-all PATRON [--pin PIN]            (65)
  hold PATRON [ITEM] [--mode add|delete|change] [--title T] [--pickup LOC] [--pin PIN]
  fee-paid PATRON AMOUNT [--fee-type T] [--payment-type T] [--currency XXX] [--fee-id ID] [--pin PIN]
  block-patron PATRON [--message TEXT] [--card-retained]
  patron-enable PATRON [--pin PIN]        (25)
  item-status-update ITEM PROPERTIES      (19)
  end-session PATRON [--pin PIN]          (35)
  raw FRAME                               any frame; AY/AZ added with --error-detection
`;

const OPTIONS = {
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
  help: { type: 'boolean', short: 'h' },
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
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

const SUMMARY_NAMES: Record<string, SummaryItems> = {
  hold: 'holdItems',
  overdue: 'overdueItems',
  charged: 'chargedItems',
  fine: 'fineItems',
  recall: 'recallItems',
  unavailable: 'unavailableHoldItems',
};

export interface Sip2ConsoleIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

type Runner = (client: IlsClient, args: string[], values: Values) => Promise<Sip2Exchange>;

/** A command sent through the pooled client, or (login, status) on a connection of its own, so it is sent once. */
type Sip2ConsoleCommand = { arity: [number, number] } & ({ run: Runner } | { session: Sip2SessionCommand });

const COMMANDS: Record<string, Sip2ConsoleCommand> = {
  status: { arity: [0, 0], session: 'status' },
  login: { arity: [0, 0], session: 'login' },
  'patron-status': { arity: [1, 1], run: (c, [p], v) => c.patronStatus(p!, { pin: v.pin }) },
  'patron-info': {
    arity: [1, 1],
    run: (c, [p], v) =>
      c.patronInformation(p!, { pin: v.pin, summary: summaryOption(v.summary), range: rangeOption(v) }),
  },
  'item-info': { arity: [1, 1], run: (c, [i]) => c.itemInformation(i!) },
  checkout: {
    arity: [2, 2],
    run: (c, [p, i], v) =>
      c.checkout(p!, i!, {
        pin: v.pin,
        feeAcknowledged: v['fee-acknowledged'],
        noBlock: v['no-block'],
        nbDueDate: dateOption(v['nb-due-date']),
      }),
  },
  checkin: { arity: [1, 1], run: (c, [i], v) => c.checkin(i!, { noBlock: v['no-block'] }) },
  renew: {
    arity: [1, 2],
    run: (c, [p, i], v) =>
      c.renew(p!, i, {
        pin: v.pin,
        title: v.title,
        feeAcknowledged: v['fee-acknowledged'],
        noBlock: v['no-block'],
      }),
  },
  'renew-all': {
    arity: [1, 1],
    run: (c, [p], v) => c.renewAll(p!, { pin: v.pin, feeAcknowledged: v['fee-acknowledged'] }),
  },
  hold: {
    arity: [1, 2],
    run: (c, [p, i], v) =>
      c.hold(p!, {
        mode: enumOption<HoldMode>(v.mode, HOLD_MODE.byName, 'mode') ?? 'add',
        item: i,
        title: v.title,
        pickupLocation: v.pickup,
        pin: v.pin,
        feeAcknowledged: v['fee-acknowledged'],
      }),
  },
  'fee-paid': {
    arity: [2, 2],
    run: (c, [p, amount], v) =>
      c.feePaid(p!, {
        amount: amount!,
        feeType: enumOption<FeeType>(v['fee-type'], FEE_TYPE.byName, 'fee-type'),
        paymentType: enumOption<PaymentType>(v['payment-type'], PAYMENT_TYPE.byName, 'payment-type'),
        currency: v.currency,
        feeId: v['fee-id'],
        pin: v.pin,
      }),
  },
  'block-patron': {
    arity: [1, 1],
    run: (c, [p], v) => c.blockPatron(p!, { message: v.message, cardRetained: v['card-retained'] }),
  },
  'patron-enable': { arity: [1, 1], run: (c, [p], v) => c.patronEnable(p!, { pin: v.pin }) },
  'item-status-update': { arity: [2, 2], run: (c, [i, properties]) => c.itemStatusUpdate(i!, properties!) },
  'end-session': { arity: [1, 1], run: (c, [p], v) => c.endSession(p!, { pin: v.pin }) },
  raw: { arity: [1, 1], run: (c, [frame]) => c.raw(frame!) },
};

/** The console with its streams given (tests capture them). */
export function createSip2Command(io: Sip2ConsoleIo): Command {
  return {
    async run(argv) {
      const { values, positionals } = parseCommandArgs(argv, OPTIONS);
      if (values.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      const [name, ...args] = positionals;
      const command = name ? COMMANDS[name] : undefined;
      if (!name || !command) {
        throw new CarrelError(
          'usage',
          `${name ? `unknown sip2 command "${name}"` : 'which sip2 command?'}\n${USAGE}`,
        );
      }
      const [min, max] = command.arity;
      if (args.length < min || args.length > max) {
        throw new CarrelError(
          'usage',
          `sip2 ${name}: expected ${min === max ? min : `${min}-${max}`} argument(s)\n${USAGE}`,
        );
      }
      const config = parseIlsConfig(connectionConfig(values, io.env));
      const charset = config.charset;
      const onFrame: Sip2FrameListener | undefined = values.wire
        ? (direction, frame) => io.stderr.write(wireLine(direction, frame, charset))
        : undefined;
      try {
        const answer =
          'session' in command
            ? await runSip2SessionCommand(command.session, config, onFrame)
            : await throughClient(config, onFrame, (client) => command.run(client, args, values));
        io.stdout.write(`${JSON.stringify({ command: name, ...answer }, null, 2)}\n`);
        return name === 'login' && refusedLogin(answer) ? 1 : 0;
      } catch (error) {
        if (error instanceof CarrelError && error.code === 'usage') throw error;
        io.stdout.write(`${JSON.stringify({ command: name, error: describeError(error) }, null, 2)}\n`);
        return 1;
      }
    },
  };
}

/** Connects the pooled client (which logs in and asks the status), runs one request, disconnects. */
async function throughClient(
  config: IlsConfig,
  onFrame: Sip2FrameListener | undefined,
  request: (client: IlsClient) => Promise<Sip2Exchange>,
): Promise<Sip2Exchange> {
  const client = new IlsClient(config, { id: 'sip2-console', logger: silentLogger(), onFrame });
  try {
    await client.connect();
    return await request(client);
  } finally {
    await client.disconnect();
  }
}

/** A 94 with ok 0: the console exits 1, as it did when the refused login failed the connection. */
function refusedLogin(answer: Sip2Exchange): boolean {
  return answer.message.type === 'loginResponse' && !answer.message.ok;
}

export const sip2Command: Command = createSip2Command({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

function connectionConfig(values: Values, env: NodeJS.ProcessEnv): IlsConfigInput {
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

function wireLine(direction: 'sent' | 'received', frame: Uint8Array, charset: Sip2Charset): string {
  const text = decodeSip2Text(frame, 0, frame.length, charset).text.replace(/[\r\n]+$/, '');
  return `${direction === 'sent' ? '>' : '<'} ${maskFrame(text)}\n`;
}

function summaryOption(value: string | undefined): SummaryItems | undefined {
  if (value === undefined) return undefined;
  const summary =
    SUMMARY_NAMES[value] ??
    (SUMMARY_ITEMS.includes(value as SummaryItems) ? (value as SummaryItems) : undefined);
  if (!summary)
    throw new CarrelError('usage', `sip2: --summary must be one of ${Object.keys(SUMMARY_NAMES).join(', ')}`);
  return summary;
}

function rangeOption(values: Values): { start: number; end: number } | undefined {
  if (values.start === undefined && values.end === undefined) return undefined;
  const start = Number(values.start ?? 1);
  const end = Number(values.end ?? start);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
    throw new CarrelError('usage', 'sip2: --start and --end must be whole numbers, 1 ≤ start ≤ end');
  }
  return { start, end };
}

function dateOption(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  if (!match) throw new CarrelError('usage', 'sip2: dates are YYYYMMDD or YYYY-MM-DD');
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 0);
}

function enumOption<N extends string>(
  value: string | undefined,
  names: ReadonlyMap<N, unknown>,
  option: string,
): N | undefined {
  if (value === undefined) return undefined;
  if (!names.has(value as N))
    throw new CarrelError('usage', `sip2: --${option} must be one of ${[...names.keys()].join(', ')}`);
  return value as N;
}
