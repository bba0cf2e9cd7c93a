/**
 * The patron print accounts' ledger. Every entry is appended in an immediate
 * transaction (committed, with synchronous=FULL on disk, before the call
 * returns), is unique by its request id (a retried request answers the first
 * entry and credits or charges nothing), and carries the balance after it,
 * which is the sum of the account's entries; nothing is ever updated or
 * deleted. Money is integer minor units in the desk's currency.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import { moneyText } from '../circulation/money.js';
import type {
  PrintAccountBalance,
  PrintAccountDeposit,
  PrintAccountDepositResult,
  PrintDailyReport,
  PrintLedgerEntry,
  PrintLedgerKind,
  PrintLedgerQuarterRow,
} from '../contracts/print-accounts.js';
import { REQUEST_ID_PATTERN } from '../requests/request-ids.js';
import { type Database, migrate, type Statement, statementsOn } from '../storage/index.js';
import { PRINT_ACCOUNT_MIGRATIONS } from './schema.js';

/** One entry to append: `amountMinor` is signed (the kind says which sign it must have). */
export interface LedgerPosting {
  requestId: string;
  account: string;
  kind: PrintLedgerKind;
  amountMinor: number;
  currency: string;
  source?: string;
  staff?: string;
  reason?: string;
  queue?: string;
  releaseId?: string;
  pages?: number;
}

export interface LedgerOptions {
  currency: string;
  /** No single entry moves more than this (1,000,000 minor units: 10,000.00). */
  maxAmountMinor?: number;
  clock: Clock;
}

interface EntryRow {
  id: string;
  request_id: string;
  account: string;
  kind: PrintLedgerKind;
  amount_minor: number;
  currency: string;
  balance_after: number;
  source: string | null;
  staff: string | null;
  reason: string | null;
  queue: string | null;
  release_id: string | null;
  pages: number | null;
  created_at: number;
}

const SIGN: Record<PrintLedgerKind, 1 | -1 | 0> = {
  deposit: 1,
  refund: 1,
  charge: -1,
  payout: -1,
  adjustment: 0,
};

export class PrintLedger {
  /** Prepared once: compiling the SQL again for every entry cost more than the entry. */
  private readonly sql: (text: string) => Statement;

  readonly currency: string;
  readonly maxAmountMinor: number;

  constructor(
    private readonly db: Database,
    private readonly options: LedgerOptions,
  ) {
    this.sql = statementsOn(db);
    this.currency = options.currency.toUpperCase();
    this.maxAmountMinor = options.maxAmountMinor ?? 1_000_000;
    migrate(db, 'print-accounts', PRINT_ACCOUNT_MIGRATIONS);
  }

  /** PrintAccountDeposits: a deposit, idempotent by request id. */
  deposit(request: PrintAccountDeposit): PrintAccountDepositResult {
    checkAmount(request.amountMinor, this.maxAmountMinor, true, this.currency);
    const { entry, repeated } = this.post({
      requestId: request.requestId,
      account: request.patron,
      kind: 'deposit',
      amountMinor: request.amountMinor,
      currency: request.currency,
      source: request.source,
      ...(request.staff ? { staff: request.staff } : {}),
      ...(request.note ? { reason: request.note } : {}),
    });
    return {
      entryId: entry.id,
      balanceMinor: this.balance(request.patron).balanceMinor,
      currency: entry.currency,
      repeated,
    };
  }

  /**
   * Appends one entry, or answers the entry the request id already made. May
   * be called inside a transaction (the release journal charges in its own) or
   * outside one (it takes an immediate one). Its only write is one INSERT,
   * after every check, so a refusal inside another transaction leaves nothing
   * of its own to undo.
   */
  post(posting: LedgerPosting): { entry: PrintLedgerEntry; repeated: boolean } {
    checkRequestId(posting.requestId);
    if (!posting.account || posting.account.length > 255)
      throw new CarrelError('patron_invalid', 'a patron barcode of 1 to 255 characters is needed');
    const sign = SIGN[posting.kind];
    const magnitude = sign === 0 ? Math.abs(posting.amountMinor) : sign * posting.amountMinor;
    if (sign === 0) checkCorrection(posting.amountMinor, this.maxAmountMinor, this.currency);
    else checkAmount(magnitude, this.maxAmountMinor, posting.kind !== 'payout', this.currency);
    const currency = posting.currency.toUpperCase();
    const append = () => {
      const existing = this.sql('SELECT * FROM print_ledger WHERE request_id = ?').get(posting.requestId) as
        | EntryRow
        | undefined;
      if (existing) {
        const differs = postingDiffers(existing, posting, currency);
        if (differs) throw requestIdClash(posting.requestId, differs);
        return { entry: entryOf(existing), repeated: true };
      }
      const { balance, currency: accountCurrency } = this.latest(posting.account);
      if (currency !== accountCurrency)
        throw new CarrelError(
          'print_account_currency_mismatch',
          `the print account is kept in ${accountCurrency}, not ${currency}`,
        );
      const after = balance + posting.amountMinor;
      if (after < 0)
        throw new CarrelError(
          'print_account_insufficient',
          posting.kind === 'charge'
            ? `the balance (${moneyText(balance, accountCurrency)}) does not cover the ${moneyText(-posting.amountMinor, currency)} this costs: nothing was charged`
            : `the balance (${moneyText(balance, accountCurrency)}) does not cover the ${moneyText(-posting.amountMinor, currency)} taken off: nothing was done`,
        );
      const row: EntryRow = {
        id: randomUUID(),
        request_id: posting.requestId,
        account: posting.account,
        kind: posting.kind,
        amount_minor: posting.amountMinor,
        currency,
        balance_after: after,
        source: posting.source ?? null,
        staff: posting.staff ?? null,
        reason: posting.reason?.slice(0, 500) ?? null,
        queue: posting.queue ?? null,
        release_id: posting.releaseId ?? null,
        pages: posting.pages ?? null,
        created_at: this.options.clock.now(),
      };
      this.sql(
        `INSERT INTO print_ledger (id, request_id, account, kind, amount_minor, currency, balance_after,
             source, staff, reason, queue, release_id, pages, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.id,
        row.request_id,
        row.account,
        row.kind,
        row.amount_minor,
        row.currency,
        row.balance_after,
        row.source,
        row.staff,
        row.reason,
        row.queue,
        row.release_id,
        row.pages,
        row.created_at,
      );
      return { entry: entryOf(row), repeated: false };
    };
    return this.db.inTransaction ? append() : this.db.transaction(append, 'immediate');
  }

  /** The entry a request id made, with its account; undefined when the id made none. */
  byRequest(requestId: string): { entry: PrintLedgerEntry; account: string } | undefined {
    const row = this.sql('SELECT * FROM print_ledger WHERE request_id = ?').get(requestId) as
      | EntryRow
      | undefined;
    return row && { entry: entryOf(row), account: row.account };
  }

  balance(account: string): PrintAccountBalance {
    const { balance, currency } = this.latest(account);
    return { balanceMinor: balance, currency };
  }

  entries(account: string, limit = 100): PrintLedgerEntry[] {
    const rows = this.sql('SELECT * FROM print_ledger WHERE account = ? ORDER BY seq DESC LIMIT ?').all(
      account,
      Math.min(Math.max(limit, 1), 1000),
    ) as EntryRow[];
    return rows.map(entryOf);
  }

  /** The free allowance used by `account` since `from` (ms): impressions and value, from its charges. */
  entriesSince(account: string, kind: PrintLedgerKind, from: number): PrintLedgerEntry[] {
    const rows = this.sql(
      'SELECT * FROM print_ledger WHERE account = ? AND kind = ? AND created_at >= ? ORDER BY seq',
    ).all(account, kind, from) as EntryRow[];
    return rows.map(entryOf);
  }

  /**
   * The ledger summed per UTC quarter hour (since the epoch), kind, queue, source and currency over
   * [from, to) in epoch ms: entries, amount (minor units, signed as booked) and pages charged.
   */
  perQuarter(from: number, to: number): PrintLedgerQuarterRow[] {
    return this.sql(
      `SELECT created_at / 900000 AS quarter, kind, COALESCE(queue, '') AS queue, COALESCE(source, '') AS source,
         currency, COUNT(*) AS entries, SUM(amount_minor) AS amountMinor, COALESCE(SUM(pages), 0) AS pages
       FROM print_ledger WHERE created_at >= ? AND created_at < ?
       GROUP BY quarter, kind, queue, source, currency ORDER BY quarter`,
    ).all(from, to) as PrintLedgerQuarterRow[];
  }

  /** The cash report of one local day (`YYYY-MM-DD`): deposits by source, payouts, refunds, income per queue. */
  dailyReport(date: string): PrintDailyReport {
    const { from, to } = localDay(date);
    const rows = this.sql(
      'SELECT * FROM print_ledger WHERE created_at >= ? AND created_at < ? ORDER BY seq',
    ).all(from, to) as EntryRow[];
    const report: PrintDailyReport = {
      date,
      currency: this.currency,
      deposits: { count: 0, totalMinor: 0, bySource: {} },
      payouts: { count: 0, totalMinor: 0 },
      refunds: { count: 0, totalMinor: 0 },
      adjustments: { count: 0, totalMinor: 0 },
      queues: [],
    };
    const queues = new Map<string, PrintDailyReport['queues'][number]>();
    const queueOf = (name: string) => {
      let entry = queues.get(name);
      if (!entry) {
        entry = { queue: name, chargedMinor: 0, refundedMinor: 0, incomeMinor: 0, impressions: 0 };
        queues.set(name, entry);
      }
      return entry;
    };
    for (const row of rows) {
      const amount = Math.abs(row.amount_minor);
      if (row.kind === 'deposit') {
        report.deposits.count++;
        report.deposits.totalMinor += amount;
        const source = row.source ?? 'unknown';
        report.deposits.bySource[source] = (report.deposits.bySource[source] ?? 0) + amount;
      } else if (row.kind === 'payout') {
        report.payouts.count++;
        report.payouts.totalMinor += amount;
      } else if (row.kind === 'adjustment') {
        report.adjustments.count++;
        report.adjustments.totalMinor += row.amount_minor;
      } else if (row.kind === 'refund') {
        report.refunds.count++;
        report.refunds.totalMinor += amount;
        if (row.queue) queueOf(row.queue).refundedMinor += amount;
      } else if (row.kind === 'charge') {
        const queue = queueOf(row.queue ?? 'unknown');
        queue.chargedMinor += amount;
        queue.impressions += row.pages ?? 0;
      }
    }
    for (const queue of queues.values()) queue.incomeMinor = queue.chargedMinor - queue.refundedMinor;
    report.queues = [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
    return report;
  }

  /**
   * What must always hold, as a list of what does not: each entry's balance is
   * the running sum of its account's entries and never negative, each account
   * is in one currency.
   */
  invariantViolations(): string[] {
    const problems: string[] = [];
    const running = this.sql(
      `SELECT account, seq, balance_after, SUM(amount_minor) OVER (PARTITION BY account ORDER BY seq) AS total
         FROM print_ledger`,
    ).all() as Array<{ account: string; seq: number; balance_after: number; total: number }>;
    for (const row of running) {
      if (row.balance_after !== row.total)
        problems.push(`entry ${row.seq}: balance ${row.balance_after} ≠ sum ${row.total}`);
      if (row.balance_after < 0) problems.push(`entry ${row.seq}: negative balance`);
    }
    const currencies = this.sql(
      'SELECT account FROM print_ledger GROUP BY account HAVING COUNT(DISTINCT currency) > 1',
    ).all() as Array<{ account: string }>;
    for (const row of currencies)
      problems.push(`an account in more than one currency (${row.account.length} chars)`);
    return problems;
  }

  /**
   * The account's balance (its last entry's) and currency: every entry of an account is in the
   * currency of its first (post refuses any other), so the last entry's is the account's.
   */
  private latest(account: string): { balance: number; currency: string } {
    const row = this.sql(
      'SELECT balance_after, currency FROM print_ledger WHERE account = ? ORDER BY seq DESC LIMIT 1',
    ).get(account) as { balance_after: number; currency: string } | undefined;
    return { balance: row?.balance_after ?? 0, currency: row?.currency ?? this.currency };
  }
}

/** The local day `YYYY-MM-DD` as [from, to) in epoch ms; a day not of the calendar is refused. */
export function localDay(date: string): { from: number; to: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, dayOfMonth] = match
    ? [Number(match[1]), Number(match[2]), Number(match[3])]
    : [Number.NaN, 0, 0];
  const day = new Date(year, month - 1, dayOfMonth);
  // Date rolls 2026-11-36 over to 6 December: such a day is refused, not reported as another.
  if (day.getMonth() !== month - 1 || day.getDate() !== dayOfMonth)
    throw new CarrelError('bad_request', `date must be a day of the calendar, as YYYY-MM-DD; ${date} is not`);
  return { from: day.getTime(), to: new Date(year, month - 1, dayOfMonth + 1).getTime() };
}

/**
 * A whole, positive (or, for a payout of an empty account, zero) amount within the limit. The
 * refusal says it in a kiosk developer's words, with an example in the currency ('minor units'
 * meant nothing to them).
 */
export function checkAmount(amount: number, max: number, positive: boolean, currency: string): void {
  if (!Number.isSafeInteger(amount) || amount < (positive ? 1 : 0) || amount > max)
    throw new CarrelError(
      'amount_invalid',
      `amountMinor must be ${smallestUnits(currency)}, ${positive ? 'more than 0' : '0 or more'} and at most ${max} (${moneyText(max, currency)}); ${amount} was sent: nothing was done`,
    );
}

/**
 * A correction's amount: whole, not 0, within the limit either way. The refusal gives the amount as
 * sent, its sign included, since a correction taking money out is negative.
 */
export function checkCorrection(amount: number, max: number, currency: string): void {
  if (!Number.isSafeInteger(amount) || amount === 0 || Math.abs(amount) > max)
    throw new CarrelError(
      'amount_invalid',
      `amountMinor of a correction must be ${smallestUnits(currency)}, not 0, from -${max} to ${max} (${moneyText(max, currency)} either way): positive puts money in, negative takes it out; ${amount} was sent: nothing was done`,
    );
}

/** What amountMinor counts, with an example: 'a whole number of the currency's smallest unit (for EUR, 150 is 1.50 EUR)'. */
export function smallestUnits(currency: string): string {
  return `a whole number of the currency's smallest unit (for ${currency}, 150 is ${moneyText(150, currency)})`;
}

export function checkRequestId(requestId: string): void {
  if (typeof requestId !== 'string' || !REQUEST_ID_PATTERN.test(requestId))
    throw new CarrelError('request_id_invalid', 'a request id is 8 to 128 printable characters (a UUID)');
}

const KIND_NAMES: Readonly<Record<PrintLedgerKind, string>> = {
  deposit: 'a top-up',
  refund: 'a refund',
  charge: 'a print charge',
  payout: 'a payout',
  adjustment: 'a correction',
};

/** An entry's kind as staff say it: `a top-up`, `a refund`… */
export const kindName = (kind: PrintLedgerKind): string => KIND_NAMES[kind];

/**
 * A request id sent again with another request: refused (409), naming what differs — the
 * field as the API calls it, or the kind of operation — and never the patron or the amounts.
 */
export function requestIdClash(requestId: string, differs: string): CarrelError {
  return new CarrelError(
    'request_id_conflict',
    `request id ${requestId} was already used for another request (${differs}): nothing was done. ` +
      'Send each new request with a new request id',
  );
}

/** What differs between an entry and a posting sent again with its request id, or undefined. */
function postingDiffers(existing: EntryRow, posting: LedgerPosting, currency: string): string | undefined {
  if (existing.kind !== posting.kind)
    return `it was ${kindName(existing.kind)}, not ${kindName(posting.kind)}`;
  if (existing.account !== posting.account) return 'another patron';
  if (existing.release_id !== (posting.releaseId ?? null)) return 'another releaseId';
  if (existing.currency !== currency) return 'another currency';
  if (existing.amount_minor !== posting.amountMinor) return 'another amountMinor';
  if (existing.source !== (posting.source ?? null)) return 'another source';
  if (existing.reason !== (posting.reason?.slice(0, 500) ?? null))
    return posting.kind === 'deposit' ? 'another note' : 'another reason';
  return undefined;
}

function entryOf(row: EntryRow): PrintLedgerEntry {
  return {
    id: row.id,
    requestId: row.request_id,
    kind: row.kind,
    amountMinor: row.amount_minor,
    currency: row.currency,
    balanceMinor: row.balance_after,
    source: row.source,
    staff: row.staff,
    reason: row.reason,
    queue: row.queue,
    releaseId: row.release_id,
    pages: row.pages,
    at: new Date(row.created_at).toISOString(),
  };
}
