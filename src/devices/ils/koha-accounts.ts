/**
 * IlsAccounts over Koha's REST API (api/v1), over node:http(s) (http-request.ts):
 *
 *   GET  /api/v1/patrons?cardnumber=…                      the patron's id
 *   GET  /api/v1/patrons/{patron_id}/account               balance (signed: negative when in credit)
 *   POST /api/v1/patrons/{patron_id}/account/debits        {amount, type, description} → 201 account line
 *   GET  /api/v1/patrons/{patron_id}/account/debits?q=…    the debit whose description names the request
 *
 * Authentication by OAuth2 client credentials (POST /api/v1/oauth/token, the
 * token kept until a minute before it expires, fetched again once on a 401)
 * or basic auth. TLS by the URL (https). Every call has a timeout. Neither the
 * credentials nor the card number (it travels in a query) appear in an error
 * message: errors name the host and the step.
 *
 * Koha writes amounts as decimals of the currency's major unit (20 yen is `20`,
 * 1.250 dinars `1.25`); the port counts minor units, so the adapter is told
 * the currency's minor digits (its ISO 4217 exponent) and converts with them.
 */
import type { Clock } from '../../core/clock.js';
import { type HttpAnswer, HttpRequestError, httpRequest } from '../transport/http-request.js';
import { IlsAccountError, type IlsAccountPatron, type IlsAccounts, type IlsDebit } from './accounts.js';
import type { KohaRestAccountsConfig } from './koha-accounts-config.js';

/** Errors whose request never left this machine: nothing can have happened at the ILS. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** What a request that got no whole answer is told as, in words. */
const HTTP_FAILURES: Record<string, string | undefined> = {
  closed: 'Koha closed the connection without answering',
  cut: 'Koha closed the connection before its answer ended',
  too_large: 'Koha answered with more than 4 MiB, which is not an answer to this (not read on)',
};

interface KohaDebit {
  account_line_id?: unknown;
  amount?: unknown;
  description?: unknown;
}

export class KohaRestAccounts implements IlsAccounts {
  readonly kind = 'koha-rest';
  private readonly base: string;
  private readonly host: string;
  /**
   * The OAuth2 token and until when it is used, on the desk clock's monotonic time: its life is
   * Koha's `expires_in`, a duration, which a step of the wall clock (NTP) neither shortens nor lengthens.
   */
  private token: { value: string; until: number } | undefined;
  /** Minor units in one major unit of the currency: 100 for EUR, 1 for JPY, 1000 for KWD. */
  private readonly unit: number;

  private readonly clock: Clock;

  /**
   * `exponent`: the minor digits of the currency the amounts are in (2 for EUR, 0 for JPY, 3 for
   * KWD); `clock`: the desk's, whose timers time the requests out and which times the token's life.
   */
  constructor(
    private readonly config: KohaRestAccountsConfig,
    options: { exponent: number; clock: Clock },
  ) {
    this.clock = options.clock;
    if (!Number.isInteger(options.exponent) || options.exponent < 0 || options.exponent > 4)
      throw new RangeError(`not a currency exponent: ${options.exponent}`);
    this.unit = 10 ** options.exponent;
    const url = new URL(config.url);
    this.host = url.host;
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }

  async findPatron(cardNumber: string): Promise<IlsAccountPatron> {
    const query = new URLSearchParams({ cardnumber: cardNumber, _match: 'exact' });
    const found = await this.call('GET', `/api/v1/patrons?${query}`, 'finding the patron');
    if (!Array.isArray(found)) throw this.badAnswer('finding the patron');
    const patron = found.find(
      (p: unknown) =>
        typeof p === 'object' && p !== null && (p as { cardnumber?: unknown }).cardnumber === cardNumber,
    ) as { patron_id?: unknown } | undefined;
    if (!patron) throw new IlsAccountError('ils_patron_not_found', 'the ILS does not know this card');
    if (typeof patron.patron_id !== 'number' && typeof patron.patron_id !== 'string')
      throw this.badAnswer('finding the patron');
    return { id: String(patron.patron_id) };
  }

  async creditAvailable(patron: IlsAccountPatron): Promise<number> {
    const account = (await this.call('GET', `${this.accountPath(patron)}`, 'reading the account')) as {
      balance?: unknown;
    } | null;
    const balance = minorOf(account?.balance, this.unit);
    if (balance === undefined) throw this.badAnswer('reading the account');
    return Math.max(0, -balance);
  }

  async addDebit(
    patron: IlsAccountPatron,
    debit: { amountMinor: number; requestId: string },
  ): Promise<IlsDebit> {
    const body = {
      amount: debit.amountMinor / this.unit,
      type: this.config.debitType,
      description: describe(debit.requestId),
    };
    const line = (await this.call(
      'POST',
      `${this.accountPath(patron)}/debits`,
      'adding the debit',
      body,
    )) as KohaDebit;
    const parsed = debitOf(line, this.unit);
    if (!parsed) throw this.badAnswer('adding the debit', true);
    return parsed;
  }

  async findDebit(patron: IlsAccountPatron, requestId: string): Promise<IlsDebit | undefined> {
    const description = describe(requestId);
    const query = new URLSearchParams({ q: JSON.stringify({ description }) });
    const lines = await this.call(
      'GET',
      `${this.accountPath(patron)}/debits?${query}`,
      'looking up the debit',
    );
    if (!Array.isArray(lines)) throw this.badAnswer('looking up the debit');
    for (const line of lines as KohaDebit[]) {
      const parsed = debitOf(line, this.unit);
      if (parsed?.description === description) return parsed;
    }
    return undefined;
  }

  private accountPath(patron: IlsAccountPatron): string {
    return `/api/v1/patrons/${encodeURIComponent(patron.id)}/account`;
  }

  private async call(method: 'GET' | 'POST', path: string, step: string, body?: unknown): Promise<unknown> {
    let response = await this.send(method, path, step, body);
    if (response.status === 401 && this.config.clientId !== undefined) {
      // The token expired early or the server restarted: one new token, one more try (a 401 did nothing).
      this.token = undefined;
      response = await this.send(method, path, step, body);
    }
    const text = response.text;
    if (response.status === 404 && path.includes('/patrons/'))
      throw new IlsAccountError('ils_patron_not_found', 'the ILS does not know this patron');
    if (response.status < 200 || response.status > 299)
      throw new IlsAccountError(
        'ils_account_refused',
        `the ILS at ${this.host} refused ${step}: HTTP ${response.status}${kohaError(text)}`,
        // A server error after a POST may have been carried out before it failed.
        { outcomeUnknown: method === 'POST' && response.status >= 500 },
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.badAnswer(step, method === 'POST');
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    step: string,
    body?: unknown,
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: await this.authorization(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await httpRequest(new URL(`${this.base}${path}`), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs: this.config.timeoutMs,
        clock: this.clock,
      });
    } catch (error) {
      throw this.unreachable(error, step, method === 'POST');
    }
  }

  private async authorization(): Promise<string> {
    const { clientId, clientSecret, user, password } = this.config;
    if (clientId === undefined || clientSecret === undefined)
      return `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64')}`;
    if (this.token && this.token.until > this.clock.monotonic()) return `Bearer ${this.token.value}`;
    const step = 'the OAuth2 token';
    let response: HttpAnswer;
    try {
      response = await httpRequest(new URL(`${this.base}/api/v1/oauth/token`), {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret,
        }).toString(),
        timeoutMs: this.config.timeoutMs,
        clock: this.clock,
      });
    } catch (error) {
      throw this.unreachable(error, step, false);
    }
    const text = response.text;
    if (response.status !== 200)
      throw new IlsAccountError(
        'ils_account_refused',
        `the ILS at ${this.host} refused ${step}: HTTP ${response.status}`,
      );
    let token: { access_token?: unknown; expires_in?: unknown };
    try {
      token = JSON.parse(text) as typeof token;
    } catch {
      throw this.badAnswer(step);
    }
    if (typeof token.access_token !== 'string' || token.access_token === '') throw this.badAnswer(step);
    const seconds = typeof token.expires_in === 'number' ? token.expires_in : 3600;
    this.token = {
      value: token.access_token,
      until: this.clock.monotonic() + Math.max(0, seconds - 60) * 1000,
    };
    return `Bearer ${this.token.value}`;
  }

  private unreachable(error: unknown, step: string, posted: boolean): IlsAccountError {
    const said = error instanceof HttpRequestError ? HTTP_FAILURES[error.code] : undefined;
    const code = said === undefined ? errnoOf(error) : undefined;
    const timedOut = error instanceof HttpRequestError && error.code === 'timeout';
    const reason = timedOut
      ? `no answer within ${this.config.timeoutMs} ms`
      : (said ?? code ?? 'the connection failed');
    return new IlsAccountError('ils_account_unreachable', `the ILS at ${this.host}: ${step}: ${reason}`, {
      outcomeUnknown: posted && !(code !== undefined && NOT_SENT.has(code)),
      cause: error,
    });
  }

  private badAnswer(step: string, posted = false): IlsAccountError {
    return new IlsAccountError(
      'ils_account_bad_answer',
      `the ILS at ${this.host} answered ${step} unreadably`,
      {
        outcomeUnknown: posted,
      },
    );
  }
}

/** The debit's description: what the patron and staff read in Koha, and how Carrel finds it again. */
export function describe(requestId: string): string {
  return `Transfer to the print account (Carrel ${requestId})`;
}

/** A decimal amount (`12.5`, `"12.50"`) in minor units, `unit` of them to the major unit. */
function minorOf(value: unknown, unit: number): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) return undefined;
  return Math.round(number * unit);
}

function debitOf(line: KohaDebit | null | undefined, unit: number): IlsDebit | undefined {
  if (!line || typeof line !== 'object') return undefined;
  const amountMinor = minorOf(line.amount, unit);
  const id = line.account_line_id;
  if (amountMinor === undefined || (typeof id !== 'number' && typeof id !== 'string')) return undefined;
  return {
    id: String(id),
    amountMinor,
    description: typeof line.description === 'string' ? line.description : '',
  };
}

/** The `error` Koha put in its answer, short, for the message. */
function kohaError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? ` (${body.error.slice(0, 120)})` : '';
  } catch {
    return '';
  }
}

function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}
