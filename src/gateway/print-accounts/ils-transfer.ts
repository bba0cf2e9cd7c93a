/**
 * A transfer of a patron's credit at the ILS into their print account:
 *
 *   1. checks (no money moves): amount and currency as the ledger takes them,
 *      the card usable for the print account (not reported lost, expired or
 *      blocked, as the library system says over SIP2 — `cardRefusal`), the
 *      patron known to the ILS, their credit there covering the amount;
 *   2. journals the transfer `pending` (committed);
 *   3. debits the patron at the ILS, the debit naming the request id;
 *   4. deposits into the ledger (source `ils-transfer`) and marks the row
 *      `deposited`, in one SQLite transaction; then answers.
 *
 * Idempotent by request id: a retry answers the first transfer, or its
 * failure, and never debits twice. A patron's transfers run one at a time, so
 * two at once cannot both spend the same credit (Koha takes a debit past it). When the ILS's answer to the debit is lost
 * (a timeout, a dropped connection, a server error, or Carrel killed), the
 * row stays `pending` and is settled — now on a retry, at start, and every
 * `settleIntervalMs` while a transfer is pending (an idle desk is not woken for none) — by asking the ILS for the debit with that request id:
 * found → deposited; not found → `failed` with the reason, once the row is
 * older than `settleAfterMs` (a debit still on its way has landed by then) —
 * time passed on the monotonic clock for a row this process journaled.
 * A missing debit is never sent again by recovery: the transfer was asked for
 * by staff at the desk, and moving the patron's money hours later, when
 * nobody is waiting for it and the credit may have been spent, is not what
 * they asked for; a failed transfer leaves the credit at the ILS, and staff
 * can transfer again with a new request.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { IlsAccountError, type IlsAccountPatron, type IlsAccounts } from '../../devices/ils/accounts.js';
import { moneyText } from '../circulation/money.js';
import type { IlsTransferResult } from '../contracts/print-accounts.js';
import type { IlsTransferJournal, IlsTransferRow } from './ils-transfer-journal.js';
import { checkAmount, checkRequestId, type PrintLedger, requestIdClash } from './ledger.js';

export interface IlsTransferOptions {
  ledger: PrintLedger;
  journal: IlsTransferJournal;
  ils: IlsAccounts | undefined;
  clock: Clock;
  logger: Logger;
  /** A pending transfer whose debit the ILS does not have is failed only when older than this (5 min). */
  settleAfterMs?: number;
  /** How often pending transfers are settled while there are any (1 min). */
  settleIntervalMs?: number;
  /**
   * Why the library system says the card may not take credit into the print account (reported
   * lost, expired, blocked), asked before anything is journaled or debited; undefined: it may.
   */
  cardRefusal?: (request: IlsTransferRequest) => Promise<Error | undefined>;
  /** For the crash tests: after the row is journaled, and after the ILS took the debit. */
  afterJournal?: (row: IlsTransferRow) => void;
  afterDebit?: (row: IlsTransferRow) => void;
}

export interface IlsTransferRequest {
  requestId: string;
  patron: string;
  amountMinor: number;
  currency?: string;
  staff?: string;
}

export class IlsTransfers {
  private readonly inFlight = new Map<
    string,
    { request: IlsTransferRequest; work: Promise<IlsTransferResult> }
  >();
  /**
   * The last transfer of each patron: a patron's transfers run one after the other, so the
   * credit one reads is not the credit another is taking (the ILS would take a debit past it).
   */
  private readonly patronTails = new Map<string, Promise<unknown>>();
  /** The settle round's timer: running while a transfer is pending, none while none is (followPending). */
  private timer: TimerHandle | undefined;
  private started = false;
  private settling: Promise<void> | undefined;
  /**
   * Transfers this process journaled, by row id: when (monotonic ms). Their age is time passed,
   * whatever NTP does to the wall clock; a row left by a Carrel before is aged by its stored time.
   */
  private readonly journaledHere = new Map<string, number>();

  constructor(private readonly options: IlsTransferOptions) {}

  start(): void {
    if (!this.options.ils) return;
    this.started = true;
    // Those a crash or a lost answer left pending: settled now, and followed while any remain.
    void this.settle();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.settling;
    await Promise.allSettled([...this.inFlight.values()].map((running) => running.work));
  }

  transfer(request: IlsTransferRequest): Promise<IlsTransferResult> {
    try {
      checkRequestId(request.requestId);
    } catch (error) {
      return Promise.reject(error);
    }
    const running = this.inFlight.get(request.requestId);
    if (running) {
      // The same request again joins the first; another request with its id is refused at once.
      const differs = transferDiffers(running.request, request);
      if (differs) return Promise.reject(requestIdClash(request.requestId, differs));
      return running.work.then((result) => ({ ...result, repeated: true }));
    }
    const before = this.patronTails.get(request.patron) ?? Promise.resolve();
    const work = before
      .then(() => this.run(request))
      .finally(() => {
        this.inFlight.delete(request.requestId);
        if (this.patronTails.get(request.patron) === tail) this.patronTails.delete(request.patron);
        // Its debit's answer lost, it is left pending: followed from now on.
        this.followPending();
      });
    const tail = work.catch(() => undefined);
    this.patronTails.set(request.patron, tail);
    this.inFlight.set(request.requestId, { request, work });
    return work;
  }

  /** Settles every pending transfer no call is working on now. */
  settle(): Promise<void> {
    this.settling ??= this.settleAll().finally(() => {
      this.settling = undefined;
      this.followPending();
    });
    return this.settling;
  }

  /**
   * The settle round runs every settleIntervalMs while a transfer is pending, and not at all while
   * none is. A journal that cannot be read now (no database yet) is looked at again at the next
   * round, as before.
   */
  private followPending(): void {
    if (!this.started) return;
    let pending: boolean;
    try {
      pending = this.options.journal.pending().length > 0;
    } catch {
      pending = true;
    }
    if (pending)
      this.timer ??= this.options.clock.setInterval(
        'print-ils-transfer-settle',
        () => void this.settle().catch(() => undefined),
        this.options.settleIntervalMs ?? 60_000,
      );
    else {
      this.timer?.cancel();
      this.timer = undefined;
    }
  }

  private async run(request: IlsTransferRequest): Promise<IlsTransferResult> {
    const { ledger, journal } = this.options;
    const ils = this.ils();
    const existing = journal.byRequest(request.requestId);
    if (existing) return this.answer(this.same(existing, request), ils);
    checkAmount(request.amountMinor, ledger.maxAmountMinor, true, ledger.currency);
    if (!request.patron || request.patron.length > 255)
      throw new CarrelError('patron_invalid', 'a patron barcode of 1 to 255 characters is needed');
    const { currency } = ledger.balance(request.patron);
    if (request.currency !== undefined && request.currency.toUpperCase() !== currency)
      throw new CarrelError(
        'print_account_currency_mismatch',
        `the print account is kept in ${currency}, not ${request.currency}`,
      );
    // A lost card's finder moved the patron's money onto an account they print from; an expired or
    // blocked card's credit went where the release station does not let it be spent.
    const refusal = await this.options.cardRefusal?.(request);
    if (refusal) throw refusal;
    const patron = await ils.findPatron(request.patron);
    const credit = await ils.creditAvailable(patron);
    if (credit < request.amountMinor)
      throw new IlsAccountError(
        'ils_credit_insufficient',
        `the patron's credit at the ILS (${moneyText(credit, currency)}) does not cover the ${moneyText(request.amountMinor, currency)} asked: nothing was moved`,
      );
    const { row, repeated } = journal.begin({
      requestId: request.requestId,
      account: request.patron,
      amountMinor: request.amountMinor,
      currency,
      ilsKind: ils.kind,
      ilsPatron: patron.id,
      ...(request.staff !== undefined ? { staff: request.staff } : {}),
    });
    if (repeated) return this.answer(this.same(row, request), ils);
    this.journaledHere.set(row.id, this.options.clock.monotonic());
    this.options.afterJournal?.(row);
    let debitId: string;
    try {
      debitId = (await ils.addDebit(patron, { amountMinor: row.amountMinor, requestId: row.requestId })).id;
    } catch (error) {
      if (error instanceof IlsAccountError && !error.outcomeUnknown) {
        this.journaledHere.delete(row.id);
        journal.fail(row.id, error.code, error.message);
        throw error;
      }
      // The ILS may have taken it: look, and settle now if it can be told.
      this.options.logger.warn(
        { transfer: row.id, error: describeError(error).code },
        'the ILS debit of a transfer has no answer; it will be looked up',
      );
      return this.answer(row, ils, false);
    }
    this.journaledHere.delete(row.id);
    const done = journal.deposit(row.id, debitId);
    this.options.afterDebit?.(done);
    return this.result(done, false);
  }

  /** The first answer of a transfer already journaled; a pending one is looked up first. */
  private async answer(row: IlsTransferRow, ils: IlsAccounts, repeated = true): Promise<IlsTransferResult> {
    let current = row;
    if (current.state === 'pending') current = await this.settleOne(current, ils);
    if (current.state === 'deposited') return this.result(current, repeated);
    if (current.state === 'failed')
      throw new CarrelError(
        current.failureCode ?? 'ils_transfer_failed',
        current.failure ?? 'the transfer failed',
      );
    throw new CarrelError(
      'ils_transfer_pending',
      "the ILS's answer to the debit was lost; the transfer is completed or failed when the ILS says which",
    );
  }

  private same(row: IlsTransferRow, request: IlsTransferRequest): IlsTransferRow {
    const differs = transferDiffers(
      { patron: row.account, amountMinor: row.amountMinor, currency: row.currency },
      request,
    );
    if (differs) throw requestIdClash(request.requestId, differs);
    return row;
  }

  private async settleAll(): Promise<void> {
    const ils = this.options.ils;
    if (!ils) return;
    for (const row of this.options.journal.pending()) {
      if (this.inFlight.has(row.requestId)) continue;
      try {
        await this.settleOne(row, ils);
      } catch (error) {
        this.options.logger.warn(
          { transfer: row.id, error: describeError(error).code },
          'a pending ILS transfer could not be settled now; trying again later',
        );
      }
    }
  }

  /** Asks the ILS whether it took the transfer's debit: deposits it, fails it, or leaves it pending. */
  private async settleOne(row: IlsTransferRow, ils: IlsAccounts): Promise<IlsTransferRow> {
    const { journal, clock } = this.options;
    let debit: Awaited<ReturnType<IlsAccounts['findDebit']>>;
    try {
      debit = await ils.findDebit({ id: row.ilsPatron } satisfies IlsAccountPatron, row.requestId);
    } catch (error) {
      if (error instanceof IlsAccountError && error.code === 'ils_patron_not_found') {
        this.journaledHere.delete(row.id);
        return journal.fail(
          row.id,
          'ils_patron_not_found',
          'the ILS no longer knows the patron; nothing was moved',
        );
      }
      if (error instanceof IlsAccountError) return row;
      throw error;
    }
    const journaledAt = this.journaledHere.get(row.id);
    const age = journaledAt === undefined ? clock.now() - row.createdAt : clock.monotonic() - journaledAt;
    if (!debit && age < (this.options.settleAfterMs ?? 300_000)) return row;
    this.journaledHere.delete(row.id);
    if (debit) return journal.deposit(row.id, debit.id);
    return journal.fail(
      row.id,
      'ils_debit_not_found',
      'the ILS has no debit for this transfer: nothing was moved, the credit stays at the ILS',
    );
  }

  private result(row: IlsTransferRow, repeated: boolean): IlsTransferResult {
    return {
      transferId: row.id,
      requestId: row.requestId,
      amountMinor: row.amountMinor,
      currency: row.currency,
      entryId: row.entryId ?? '',
      ilsDebitId: row.ilsDebitId ?? '',
      balanceMinor: this.options.ledger.balance(row.account).balanceMinor,
      repeated,
    };
  }

  private ils(): IlsAccounts {
    if (!this.options.ils)
      throw new CarrelError(
        'ils_transfer_unavailable',
        'no ILS account API is configured (printAccounts.ilsTransfer): transfers from the ILS are off',
      );
    return this.options.ils;
  }
}

/** What differs between a transfer and another asked for with its request id (a currency not given is the account's). */
function transferDiffers(
  first: Pick<IlsTransferRequest, 'patron' | 'amountMinor' | 'currency'>,
  again: IlsTransferRequest,
): string | undefined {
  if (first.patron !== again.patron) return 'another patron';
  if (first.amountMinor !== again.amountMinor) return 'another amountMinor';
  const currency = (value: string | undefined) => value?.toUpperCase();
  if (
    first.currency !== undefined &&
    again.currency !== undefined &&
    currency(first.currency) !== currency(again.currency)
  )
    return 'another currency';
  return undefined;
}
