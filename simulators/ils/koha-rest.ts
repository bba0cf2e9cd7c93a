/**
 * The ILS simulator's Koha-shaped REST API, on the control server: the few
 * calls of Koha's `/api/v1` that move a patron's credit out of the ILS, over
 * the same patrons SIP2 serves, so a transfer shows in the SIP2 fee amount
 * (BV: the balance when the patron owes, 0.00 in credit, as Koha sends it)
 * as it does in the REST balance (signed: negative in credit).
 *
 *   POST /api/v1/oauth/token                        client credentials → a bearer token (1 h)
 *   GET  /api/v1/patrons?cardnumber=…               [{patron_id, cardnumber, surname, library_id}]
 *   GET  /api/v1/patrons/{patron_id}/account        {balance, outstanding_credits, outstanding_debits}
 *   GET  /api/v1/patrons/{patron_id}/account/debits the debits added over REST; q={"description": …}
 *   POST /api/v1/patrons/{patron_id}/account/debits {amount, type, description, internal_note?} → 201
 *
 * Authentication: a bearer token, or basic auth with a SIP2 login of the
 * fixture's `accounts` (RESTBasicAuth). Amounts are decimals, as Koha writes
 * them. A debit spends the patron's credit first; what the credit does not
 * cover is owed (a fee, so SIP2 shows it too). Faults (`rest` in the faults):
 * unreachable, slow, refusing, or losing a debit's answer after adding it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import {
  type ControlAnswer,
  ControlProblem,
  type ControlRequest,
  ok,
  parse,
} from '../common/control-server.js';
import type { IlsLibrary } from './library.js';
import type { AccountDebit, Patron } from './library-model.js';
import type { IlsSimulator } from './server.js';

const TOKEN_LIFETIME_MS = 3_600_000;
const MAX_FORM = 4096;

const debitSchema = z.strictObject({
  amount: z.number().positive().max(1_000_000),
  type: z.string().regex(/^[A-Z0-9_]{1,80}$/, 'a debit type code'),
  description: z.string().max(255).optional(),
  internal_note: z.string().max(255).optional(),
  library_id: z.string().max(10).optional(),
});

/** Koha's error body: `{error, error_code}`. */
class KohaProblem extends ControlProblem {}

export class KohaRestApi {
  private readonly tokens = new Map<string, number>();
  private readonly ids = new Map<string, number>();
  private readonly barcodes: string[] = [];
  private nextLine = 1;

  constructor(private readonly simulator: IlsSimulator) {}

  private get library(): IlsLibrary {
    return this.simulator.state;
  }

  /** Answers a request under /api/v1/, or undefined when it is not one of these. */
  async route(request: ControlRequest): Promise<ControlAnswer | undefined> {
    if (!request.path.startsWith('/api/v1/')) return undefined;
    const faults = this.simulator.faults().rest ?? {};
    if (faults.unreachable) return this.drop(request);
    if (faults.latencyMs) await delay(faults.latencyMs);
    if (faults.refuse !== undefined) return koha(faults.refuse, 'Refused by the simulator', 'refused');
    if (request.path === '/api/v1/oauth/token' && request.method === 'POST') return this.token(request);
    this.authenticate(request);
    if (request.path === '/api/v1/patrons' && request.method === 'GET') return ok(this.findPatrons(request));
    const match = /^\/api\/v1\/patrons\/(\d+)\/account(\/debits)?$/.exec(request.path);
    if (!match) return koha(404, 'Not found', 'not_found');
    const patron = this.patron(Number(match[1]));
    if (!patron) return koha(404, 'Patron not found', 'not_found');
    if (!match[2] && request.method === 'GET') return ok(this.account(patron));
    if (match[2] && request.method === 'GET') return ok(this.debits(patron, request));
    if (match[2] && request.method === 'POST') {
      const body = parse(debitSchema, await request.json());
      const dropped = faults.dropDebits;
      if (dropped) {
        this.setRestFaults({ ...faults, dropDebits: dropped > 1 ? dropped - 1 : undefined });
        return this.drop(request);
      }
      const debit = this.addDebit(patron, body);
      const lose = faults.loseDebitAnswers;
      if (lose) {
        this.setRestFaults({
          ...faults,
          loseDebitAnswers: lose > 1 ? lose - 1 : undefined,
          ...(faults.downAfterLostAnswer ? { unreachable: true, downAfterLostAnswer: undefined } : {}),
        });
        return this.drop(request);
      }
      return ok(this.debitView(patron, debit), 201);
    }
    return koha(405, 'Method not allowed', 'method_not_allowed');
  }

  /** The patron id Koha would give (1, 2, … in the fixture's order); new patrons get the next. */
  patronId(barcode: string): number {
    let id = this.ids.get(barcode);
    if (id === undefined) {
      for (const known of this.library.patrons.keys()) {
        if (this.ids.has(known)) continue;
        this.barcodes.push(known);
        this.ids.set(known, this.barcodes.length);
      }
      id = this.ids.get(barcode) ?? 0;
    }
    return id;
  }

  private patron(id: number): Patron | undefined {
    if (this.barcodes.length < this.library.patrons.size) this.patronId('');
    const barcode = this.barcodes[id - 1];
    return barcode === undefined ? undefined : this.library.patrons.get(barcode);
  }

  private async token(request: ControlRequest): Promise<ControlAnswer> {
    const form = new URLSearchParams(await readText(request));
    if (form.get('grant_type') !== 'client_credentials')
      return { status: 400, json: { error: 'unsupported_grant_type' } };
    const client = this.library.fixture.restClients.find((c) => c.clientId === form.get('client_id'));
    if (!client || !same(client.clientSecret, form.get('client_secret') ?? ''))
      return { status: 403, json: { error: 'unauthorized_client' } };
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, Date.now() + TOKEN_LIFETIME_MS);
    return ok({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_MS / 1000 });
  }

  private authenticate(request: ControlRequest): void {
    const header = request.raw.headers.authorization ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) {
      const until = this.tokens.get(bearer[1] ?? '');
      if (until !== undefined && until > Date.now()) return;
      throw new KohaProblem(401, 'Authentication failure.');
    }
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (basic) {
      const [user, ...rest] = Buffer.from(basic[1] ?? '', 'base64')
        .toString('utf8')
        .split(':');
      const account = this.library.fixture.accounts.find((a) => a.loginUserId === user);
      if (account && same(account.password, rest.join(':'))) return;
      throw new KohaProblem(401, 'Invalid password');
    }
    throw new KohaProblem(401, 'Authentication failure.');
  }

  private findPatrons(request: ControlRequest) {
    let card = request.url.searchParams.get('cardnumber');
    const q = request.url.searchParams.get('q');
    if (card === null && q !== null) card = parseQuery(q).cardnumber ?? null;
    if (card === null) throw new KohaProblem(400, 'cardnumber or q is needed');
    const patron = this.library.patrons.get(card);
    if (!patron) return [];
    return [
      {
        patron_id: this.patronId(patron.barcode),
        cardnumber: patron.barcode,
        surname: patron.name,
        library_id: patron.homeBranch,
      },
    ];
  }

  private account(patron: Patron) {
    const owed = patron.fees.reduce((total, fee) => total + fee.amountCents, 0);
    return {
      balance: (owed - patron.creditCents) / 100,
      outstanding_credits: {
        total: -patron.creditCents / 100,
        lines:
          patron.creditCents > 0
            ? [{ amount: -patron.creditCents / 100, amount_outstanding: -patron.creditCents / 100 }]
            : [],
      },
      outstanding_debits: {
        total: owed / 100,
        lines: patron.fees.map((fee) => ({
          amount: fee.amountCents / 100,
          amount_outstanding: fee.amountCents / 100,
          description: fee.description ?? null,
          debit_type: fee.type,
        })),
      },
    };
  }

  private debits(patron: Patron, request: ControlRequest) {
    const q = request.url.searchParams.get('q');
    const filter = q === null ? {} : parseQuery(q);
    return patron.accountDebits
      .filter((d) => filter.description === undefined || d.description === filter.description)
      .filter((d) => filter.internal_note === undefined || d.internalNote === filter.internal_note)
      .map((d) => this.debitView(patron, d));
  }

  private addDebit(patron: Patron, body: z.infer<typeof debitSchema>): AccountDebit {
    const amountCents = Math.round(body.amount * 100);
    const spent = Math.min(patron.creditCents, amountCents);
    patron.creditCents -= spent;
    const debit: AccountDebit = {
      id: this.nextLine++,
      type: body.type,
      amountCents,
      outstandingCents: amountCents - spent,
      description: body.description ?? '',
      ...(body.internal_note !== undefined ? { internalNote: body.internal_note } : {}),
      date: this.library.now(),
    };
    patron.accountDebits.push(debit);
    if (debit.outstandingCents > 0)
      patron.fees.push({
        id: `D-${debit.id}`,
        type: 'other',
        amountCents: debit.outstandingCents,
        description: debit.description || body.type,
      });
    return debit;
  }

  private debitView(patron: Patron, debit: AccountDebit) {
    return {
      account_line_id: debit.id,
      amount: debit.amountCents / 100,
      amount_outstanding: debit.outstandingCents / 100,
      description: debit.description,
      internal_note: debit.internalNote ?? null,
      type: debit.type,
      status: null,
      date: debit.date.toISOString(),
      patron_id: this.patronId(patron.barcode),
      interface: 'api',
    };
  }

  private setRestFaults(rest: NonNullable<ReturnType<IlsSimulator['faults']>['rest']>): void {
    this.simulator.setFaults({ ...this.simulator.faults(), rest: withoutUndefined(rest) });
  }

  /** Closes the connection unanswered: the caller cannot tell whether anything happened. */
  private drop(request: ControlRequest): Promise<never> {
    request.raw.socket.destroy();
    return new Promise<never>(() => {});
  }
}

function koha(status: number, error: string, code: string): ControlAnswer {
  return { status, json: { error, error_code: code } };
}

/** Koha's `q` is a JSON filter; the simulator understands plain equality on a few fields. */
function parseQuery(q: string): Record<string, string | undefined> {
  try {
    const value = JSON.parse(q) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const out: Record<string, string> = {};
      for (const [key, field] of Object.entries(value)) if (typeof field === 'string') out[key] = field;
      return out;
    }
  } catch {
    // falls through to the refusal below
  }
  throw new KohaProblem(400, 'q is not a JSON object');
}

async function readText(request: ControlRequest): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM) throw new KohaProblem(413, 'body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function same(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
