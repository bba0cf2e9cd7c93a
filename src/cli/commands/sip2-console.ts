/**
 * One console session with the ILS: one client (one connection, logged in once),
 * the ILS's status (98) kept for its institution and its supported messages (BX),
 * the currency the ILS uses once seen, and one JSON answer written per command.
 * Used for a single command and by the shell alike.
 */
import { CarrelError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { IlsClient, type IlsConfig, type Sip2Exchange } from '../../devices/ils/index.js';
import type { AnySip2Message, Sip2Message, SupportedMessage } from '../../protocols/sip2/index.js';
import type { RequestValues } from './sip2-args.js';
import { EXIT, type ExitStatus, explainFailure, refusalOf } from './sip2-outcome.js';
import { COMMANDS, type ConsoleContext, describeFlag, type PreparedRequest } from './sip2-requests.js';
import type { WireTrace } from './sip2-trace.js';

export interface ConsoleOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** 'pretty' for one command, 'line' (one JSON object per line) for the shell. */
  format: 'pretty' | 'line';
}

/** A command checked against the table and its arity: a usage error otherwise. */
export function commandNamed(name: string | undefined, args: string[]) {
  const command = name === undefined ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!name || !command) {
    throw new CarrelError('usage', name ? `unknown sip2 command "${name}"` : 'which sip2 command?');
  }
  const [min, max] = command.arity;
  if (args.length < min || args.length > max) {
    throw new CarrelError(
      'usage',
      `sip2 ${name}: expected ${min === max ? min : `${min}-${max}`} argument(s)`,
    );
  }
  return command;
}

export class Sip2Console {
  private readonly client: IlsClient;
  private currencySeen: string | undefined;
  private readonly context: ConsoleContext;

  constructor(
    private readonly config: IlsConfig,
    private readonly trace: WireTrace,
    private readonly output: ConsoleOutput,
  ) {
    this.client = new IlsClient(config, {
      id: 'sip2-console',
      logger: silentLogger(),
      onFrame: trace.listener,
      institutionFromAcs: true,
    });
    this.context = {
      client: this.client,
      currency: (patron, pin) => this.currency(patron, pin),
    };
  }

  /** Connects: the login (93) when a user is given, then the status (99). Writes the failure and returns its status. */
  async connect(command: string): Promise<ExitStatus> {
    try {
      await this.client.connect();
      return EXIT.ok;
    } catch (error) {
      return this.fail(command, error, undefined);
    }
  }

  /** Runs one command: refused before sending when the ILS's BX says it does not support it (unless --force). */
  async run(name: string, args: string[], values: RequestValues): Promise<ExitStatus> {
    const command = commandNamed(name, args);
    const request: PreparedRequest = command.prepare(args, values);
    const flag = command.supports?.(args);
    const unsupported = flag !== undefined && !this.supports(flag) ? describeFlag(flag) : undefined;
    if (unsupported !== undefined && !values.force) {
      const message = `the ILS's status (BX in its 98) says it does not support ${unsupported}: not sent (--force sends it anyway)`;
      this.write({ command: name, error: { code: 'sip2_unsupported', message } });
      this.output.stderr.write(`sip2 ${name}: ${message}\n`);
      return EXIT.refused;
    }
    if (unsupported !== undefined) {
      this.output.stderr.write(
        `sip2 ${name}: sent although the ILS's status (BX) says it does not support ${unsupported}\n`,
      );
    }
    try {
      // The link may have gone down since (the ILS stopped answering even the re-login): connect again.
      if (!this.client.pool.isConnected) await this.client.connect();
      return this.answered(name, await request(this.context), values.pin);
    } catch (error) {
      if (error instanceof CarrelError && error.code === 'usage') throw error;
      return this.fail(name, error, unsupported);
    }
  }

  /** Writes an answer got some other way (login, status on a connection of their own). */
  answered(name: string, answer: Sip2Exchange, pin?: string): ExitStatus {
    this.noteCurrency(answer.message);
    const refused = refusalOf(answer.message, name === 'raw' ? undefined : pin !== undefined && pin !== '');
    this.write({ command: name, ...answer, ...(refused !== undefined && { refused }) });
    if (refused === undefined) return EXIT.ok;
    this.output.stderr.write(`sip2 ${name}: ${refused}\n`);
    return EXIT.refused;
  }

  /** Writes a failure (a connection problem, a refused login…) and returns its exit status. */
  fail(name: string, error: unknown, unsupported: string | undefined): ExitStatus {
    const failure = explainFailure(error, {
      trace: this.trace,
      loggedIn: this.config.user !== undefined,
      timeoutMs: this.config.requestTimeoutMs,
      unsupported,
    });
    this.write({ command: name, error: { code: failure.code, message: failure.message } });
    this.output.stderr.write(`sip2 ${name}: ${failure.message}\n`);
    return failure.exit;
  }

  close(): Promise<void> {
    return this.client.disconnect();
  }

  /** Whether the ILS's BX allows a message. A BX with no Y at all (or none) is read as not given. */
  private supports(flag: SupportedMessage): boolean {
    const supported = this.client.pool.acsStatus()?.supportedMessages;
    if (supported === undefined || !Object.values(supported).some(Boolean)) return true;
    return supported[flag];
  }

  private async currency(patron: string, pin: string | undefined): Promise<string> {
    if (this.currencySeen === undefined) {
      const ask = this.supports('patronInformation')
        ? () => this.client.patronInformation(patron, { pin })
        : this.supports('patronStatusRequest')
          ? () => this.client.patronStatus(patron, { pin })
          : undefined;
      if (ask) this.noteCurrency((await ask()).message);
    }
    if (this.currencySeen === undefined) {
      throw new CarrelError(
        'usage',
        'sip2 fee-paid: the ILS did not say its currency (no BH in its answer about the patron): give --currency',
      );
    }
    return this.currencySeen;
  }

  private noteCurrency(message: AnySip2Message): void {
    const currency = (message as Partial<Sip2Message<'patronInformationResponse'>>).currencyType;
    if (typeof currency === 'string' && /^[A-Z]{3}$/.test(currency)) this.currencySeen = currency;
  }

  private write(value: object): void {
    const json = this.output.format === 'pretty' ? JSON.stringify(value, null, 2) : JSON.stringify(value);
    this.output.stdout.write(`${json}\n`);
  }
}
