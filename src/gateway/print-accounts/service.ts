/**
 * The print accounts and print release as one service (PrintAccountService),
 * and a feature of the desk: it opens its ledger and journal when storage is
 * up, settles what a crash left open, and follows released jobs until they end.
 */
import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { moneyText } from '../circulation/money.js';
import type {
  IlsTransferResult,
  IlsTransferState,
  IlsTransferView,
  PrintAccountBalance,
  PrintAccountDeposit,
  PrintAccountDepositResult,
  PrintAccountService,
  PrintAccountStatement,
  PrintDailyReport,
  PrintIlsTransfers,
  PrintJobView,
  PrintLedgerEntry,
  PrintLedgerQuarterRow,
  PrintReleaseQuarterRow,
  PrintReleaseView,
  PrintStationLogins,
  StationLogin,
} from '../contracts/print-accounts.js';
import type { Feature } from '../feature.js';
import { type Database, GroupCommit } from '../storage/index.js';
import { cardNotUsable } from './card-usable.js';
import { DESK_CARD_CHECK_MS, type PrintAccountsConfig } from './config.js';
import { type CardAtLibrary, DeskCardChecks, type IdentifyPatron } from './desk-card-checks.js';
import { claims, expiringView, jobView } from './held-job-views.js';
import { type IlsTransferOptions, IlsTransfers } from './ils-transfer.js';
import { IlsTransferJournal } from './ils-transfer-journal.js';
import {
  checkCorrection,
  checkRequestId,
  kindName,
  localDay,
  PrintLedger,
  requestIdClash,
} from './ledger.js';
import { payoutRefusal } from './payout-checks.js';
import type { ReleaseQueue } from './queue.js';
import { type ChargedRelease, ReleaseJournal } from './release-journal.js';
import { releaseView, releaseViewNow } from './release-view.js';
import { ReleaseWorkflow } from './release-workflow.js';
import { StationLogins } from './station-logins.js';

export interface PrintAccountsOptions {
  /** Checks a patron's card and PIN at a station (the circulation service's identifyPatron). */
  identify?: IdentifyPatron;
  /** The barcode of the one patron card on an RFID pad now (throws patron_card_not_found / _ambiguous). */
  patronCardOn?: (pad: string) => Promise<string>;
  /** The desk's print accounts config (deskCardCheckMs, when absent, its default). */
  config: Omit<PrintAccountsConfig, 'deskCardCheckMs'> & { deskCardCheckMs?: number };
  database: () => Database;
  queues: () => readonly ReleaseQueue[];
  clock: Clock;
  logger: Logger;
  /** Told when a release the desk's statistics count was written (charged, settled, refunded). */
  statisticsWritten?: () => void;
  followIntervalMs?: number;
  afterCharge?: (release: ChargedRelease) => void;
  /** For the crash tests: called after a staff refund is committed, before the rest of its job is cancelled. */
  afterRefund?: (release: ChargedRelease) => void;
  /** Transfers of credit out of the ILS: its account API (none: transfers are off), and tuning for tests. */
  ilsTransfer?: Pick<
    IlsTransferOptions,
    'settleAfterMs' | 'settleIntervalMs' | 'afterJournal' | 'afterDebit'
  > & {
    accounts: IlsTransferOptions['ils'];
  };
}

interface Books {
  db: Database;
  /**
   * The database's group commit, shared by every money write the desk waits on (charges, refunds,
   * payouts, corrections, top-ups): written in the same turn, they share one flush.
   */
  commits: GroupCommit;
  ledger: PrintLedger;
  journal: ReleaseJournal;
  workflow: ReleaseWorkflow;
  transfers: IlsTransfers;
  transferJournal: IlsTransferJournal;
}

export class PrintAccounts implements PrintAccountService, PrintStationLogins, PrintIlsTransfers, Feature {
  readonly name = 'print-accounts';
  private books: Books | undefined;
  private readonly logins: StationLogins;
  private readonly cards: DeskCardChecks;

  constructor(private readonly options: PrintAccountsOptions) {
    this.logins = new StationLogins(options.clock);
    this.cards = new DeskCardChecks({
      ...(options.identify ? { identify: options.identify } : {}),
      clock: options.clock,
      logger: options.logger,
      deskCardCheckMs: options.config.deskCardCheckMs ?? DESK_CARD_CHECK_MS,
    });
  }

  async stationLogin(request: { patron?: string; pad?: string; pin?: string }): Promise<StationLogin> {
    if (!this.options.identify) throw new CarrelError('unavailable', 'no ILS is configured to check patrons');
    let barcode = request.patron;
    if (barcode === undefined && request.pad !== undefined) {
      if (!this.options.patronCardOn)
        throw new CarrelError('patron_card_not_found', 'no RFID pad is configured to read patron cards');
      barcode = await this.options.patronCardOn(request.pad);
    }
    if (barcode === undefined || barcode === '')
      throw new CarrelError('patron_required', 'a card number, or a pad with the patron card on it');
    // The card number alone logged in: whoever knew it (printed on the card, on a receipt) saw the
    // patron's documents and printed on their money.
    if (request.pin === undefined || request.pin === '')
      throw new CarrelError(
        'pin_required',
        "the card's PIN is needed to log in at a release station: nobody was logged in",
      );
    const { patron } = await this.options.identify({ patron: barcode, pin: request.pin });
    if (!patron.valid) throw new CarrelError('patron_not_found', 'the library does not know this card');
    // A card reported lost, expired or blocked spent the print account as any other: whoever found
    // a lost card and learnt its PIN printed on the patron's money.
    const refusal = cardNotUsable(patron, 'nobody was logged in, nothing can be printed or paid with it');
    if (refusal) throw refusal;
    return {
      session: this.logins.open(barcode),
      name: patron.name,
      balance: this.balance(barcode),
    };
  }

  cardAtLibrary(patron: string): Promise<CardAtLibrary> {
    return this.cards.cardAtLibrary(patron);
  }

  stationPatron(session: string): string {
    return this.logins.patron(session);
  }

  stationLogout(session: string): void {
    this.logins.close(session);
  }

  async start(): Promise<void> {
    const books = this.open();
    books.workflow.start();
    books.transfers.start();
  }

  async stop(): Promise<void> {
    await this.books?.workflow.stop();
    await this.books?.transfers.stop();
  }

  /** Moves a patron's credit at the ILS into the print account (see ils-transfer.ts). */
  transferFromIls(request: {
    requestId: string;
    patron: string;
    amountMinor: number;
    currency?: string;
    staff?: string;
  }): Promise<IlsTransferResult> {
    return this.open().transfers.transfer(request);
  }

  get ilsTransfersConfigured(): boolean {
    return this.options.ilsTransfer?.accounts !== undefined;
  }

  ilsTransfers(options: { patron?: string; state?: IlsTransferState; limit?: number }): IlsTransferView[] {
    return this.open()
      .transferJournal.list({
        ...(options.patron ? { account: options.patron } : {}),
        ...(options.state ? { state: options.state } : {}),
        limit: options.limit ?? 50,
      })
      .map((row) => ({
        transferId: row.id,
        requestId: row.requestId,
        patron: row.account,
        amountMinor: row.amountMinor,
        currency: row.currency,
        state: row.state,
        ilsDebitId: row.ilsDebitId,
        entryId: row.entryId,
        failure: row.failureCode ? { code: row.failureCode, message: row.failure ?? '' } : null,
        staff: row.staff,
        createdAt: new Date(row.createdAt).toISOString(),
        updatedAt: new Date(row.updatedAt).toISOString(),
      }));
  }

  /** Settles transfers left pending (tests; the service does it at start and every minute). */
  settleIlsTransfers(): Promise<void> {
    return this.open().transfers.settle();
  }

  /** Settles and follows open releases now (tests, and after a release). */
  follow(): Promise<void> {
    return this.open().workflow.follow();
  }

  deposit(request: PrintAccountDeposit): PrintAccountDepositResult {
    return this.open().ledger.deposit(request);
  }

  /** A deposit journaled in the group's flush (see Books.commits): settles once it is on disk. */
  private depositGrouped(request: PrintAccountDeposit): Promise<PrintAccountDepositResult> {
    const { commits, ledger } = this.open();
    return commits.run(() => ledger.deposit(request));
  }

  async depositAtDesk(request: PrintAccountDeposit): Promise<PrintAccountDepositResult> {
    // A request id already in the ledger is answered (or refused as a clash) by the ledger, whatever
    // the library system says of the card now.
    if (this.open().ledger.byRequest(request.requestId) !== undefined) return this.depositGrouped(request);
    const card = await this.cards.checkTopUp(request.patron, request.source);
    const result = await this.depositGrouped(request);
    this.cards.followUncheckedTopUp(card, result, request.source);
    return result;
  }

  balance(patron: string): PrintAccountBalance {
    return this.open().ledger.balance(patron);
  }

  statement(patron: string, limit = 100): PrintAccountStatement {
    const { ledger } = this.open();
    return { ...ledger.balance(patron), entries: ledger.entries(patron, limit) };
  }

  async heldJobs(
    patron: string,
    options: { releaseCode?: string; expiring?: boolean } = {},
  ): Promise<PrintJobView[]> {
    const { workflow } = this.open();
    return this.options.queues().flatMap((queue) => [
      ...queue
        .heldJobs()
        .filter((job) => claims(queue, job, patron, options.releaseCode))
        .map((job) => jobView(queue, job, patron, workflow, false)),
      // Staff finding the patron's account see a job still on the print server past its hold time.
      ...(options.expiring ? (queue.expiringJobs?.() ?? []) : [])
        .filter((job) => claims(queue, job, patron, options.releaseCode))
        .map((job) => expiringView(jobView(queue, job, patron, workflow, false))),
    ]);
  }

  async allHeldJobs(): Promise<PrintJobView[]> {
    const { workflow } = this.open();
    return this.options.queues().flatMap((queue) => [
      ...queue.heldJobs().map((job) => jobView(queue, job, job.patron, workflow, true)),
      // Past its hold time and not yet cancelled at the print server (it refused or did not answer
      // the Cancel-Job, asked again each round): still there, so staff see it, as what it is.
      ...(queue.expiringJobs?.() ?? []).map((job) =>
        expiringView(jobView(queue, job, job.patron, workflow, true)),
      ),
    ]);
  }

  async release(request: {
    requestId: string;
    patron: string;
    queue: string;
    jobId: number;
    releaseCode?: string;
    onReplay?: () => void;
  }): Promise<PrintReleaseView> {
    checkRequestId(request.requestId);
    const books = this.open();
    const release = await books.workflow.release({
      requestId: request.requestId,
      account: request.patron,
      queue: request.queue,
      jobId: request.jobId,
      claim: (job) => claims(books.workflow.queue(request.queue), job, request.patron, request.releaseCode),
      ...(request.onReplay ? { onReplay: request.onReplay } : {}),
    });
    // As it stands now, as the station's list shows it: the same Print sent again after the desk
    // refunded the rest of a jammed job says so (restCancelled), and where the printer is with it;
    // one whose queue was taken out of the configuration since, that the desk cannot follow it.
    return releaseViewNow(release, false, books.workflow.follows(release));
  }

  releases(options: { patron?: string; limit?: number }): PrintReleaseView[] {
    const { journal, workflow } = this.open();
    return journal
      .list({ ...(options.patron ? { account: options.patron } : {}), limit: options.limit ?? 50 })
      .map((release) => releaseViewNow(release, options.patron === undefined, workflow.follows(release)));
  }

  async refund(request: {
    requestId: string;
    releaseId: string;
    amountMinor?: number;
    reason: string;
    staff: string;
    onReplay?: () => void;
  }): Promise<PrintReleaseView> {
    checkRequestId(request.requestId);
    const { journal, commits, workflow } = this.open();
    // Journaled in the group's flush, as the releases asked for at the same moment: thirty refunds
    // at once, each flushed alone, held a patron's release behind thirty flushes of the disk.
    const { onReplay, ...refund } = request;
    let repeated = false;
    const refunded = await commits.run(() => {
      // How far the printer had got, as the desk showed staff: a refund of the pages it had not
      // printed cancels the rest of the job, or it printed them for nothing once the jam was cleared.
      const release = journal.get(refund.releaseId);
      const printedSoFar = release ? workflow.printedSoFar(release) : undefined;
      return journal.staffRefund({
        ...refund,
        ...(printedSoFar !== undefined ? { printedSoFar } : {}),
        // Its queue taken out of the configuration: the print server is never asked how it ended,
        // so a release still charged is staff's to refund (it was refused for ever).
        ...(release && !workflow.follows(release) ? { notFollowed: true } : {}),
        onReplay: () => {
          repeated = true;
        },
      });
    });
    if (repeated) {
      onReplay?.();
      // As the first answer: the release as it stood once refunded, with what becomes of the rest
      // of the job it marked to be cancelled (it said nothing of it), and where the printer is now.
      return releaseViewNow(refunded, true, workflow.follows(refunded));
    }
    // On disk first: the rest of the job is cancelled after, and again by the follower until it is.
    this.options.afterRefund?.(refunded);
    // The release as refunded, and where the printer is now (the rest of the job cancelled, or
    // still being cancelled).
    const { printer, restCancelled, notFollowed } = releaseViewNow(
      await workflow.cancelRest(refunded),
      true,
      workflow.follows(refunded),
    );
    return {
      ...releaseView(refunded, true),
      ...(notFollowed ? { notFollowed } : {}),
      ...(printer ? { printer } : {}),
      ...(restCancelled ? { restCancelled } : {}),
    };
  }

  async payout(request: {
    requestId: string;
    patron: string;
    staff: string;
    reason?: string;
    /**
     * The balance the desk told staff it pays out (what they hand over). Another balance now (a job
     * charged or a top-up meanwhile) pays nothing: refused print_balance_changed, to be asked again.
     */
    amountMinor?: number;
    onReplay?: () => void;
  }): Promise<PrintLedgerEntry> {
    checkRequestId(request.requestId);
    const { ledger, journal, workflow, commits } = this.open();
    const reason = request.reason ?? 'balance paid out';
    let repeated = false;
    const entry = await commits.run(() => {
      // The payout this id made, answered again; an id another request used is refused, not answered.
      const first = ledger.byRequest(request.requestId);
      if (first) {
        const { entry, account } = first;
        if (entry.kind !== 'payout')
          throw requestIdClash(request.requestId, `it was ${kindName(entry.kind)}, not a payout`);
        if (account !== request.patron) throw requestIdClash(request.requestId, 'another patron');
        if (entry.reason !== reason) throw requestIdClash(request.requestId, 'another reason');
        if (request.amountMinor !== undefined && request.amountMinor !== -entry.amountMinor)
          throw requestIdClash(request.requestId, 'another amountMinor');
        repeated = true;
        return entry;
      }
      const { balanceMinor, currency } = ledger.balance(request.patron);
      if (balanceMinor === 0) throw new CarrelError('print_account_empty', 'there is nothing to pay out');
      // A job the patron released may still be refunded (not printed, or not in full): paid out now,
      // that refund lands on a balance the patron was told was 0. Read in the payout's transaction,
      // so a release charged in the same flush is seen. One whose queue was taken out of the
      // configuration is refunded by nobody but staff: it does not hold the payout back for ever.
      const unsettled = payoutRefusal(journal.unsettled(request.patron).filter((r) => workflow.follows(r)));
      if (unsettled) throw unsettled;
      if (request.amountMinor !== undefined && request.amountMinor !== balanceMinor)
        throw new CarrelError(
          'print_balance_changed',
          `the balance is ${moneyText(balanceMinor, currency)} now, not the ${moneyText(request.amountMinor, currency)} asked: nothing was paid out`,
        );
      return ledger.post({
        requestId: request.requestId,
        account: request.patron,
        kind: 'payout',
        amountMinor: -balanceMinor,
        currency,
        staff: request.staff,
        reason,
      }).entry;
    });
    if (repeated) request.onReplay?.();
    return entry;
  }

  async adjust(request: {
    requestId: string;
    patron: string;
    amountMinor: number;
    currency: string;
    reason: string;
    staff: string;
    onReplay?: () => void;
  }): Promise<PrintLedgerEntry> {
    const { ledger, commits } = this.open();
    checkCorrection(request.amountMinor, ledger.maxAmountMinor, ledger.currency);
    const { entry, repeated } = await commits.run(() =>
      ledger.post({
        requestId: request.requestId,
        account: request.patron,
        kind: 'adjustment',
        amountMinor: request.amountMinor,
        currency: request.currency,
        staff: request.staff,
        reason: request.reason,
      }),
    );
    if (repeated) request.onReplay?.();
    return entry;
  }

  /**
   * The day's cash report from the ledger, its pages per queue the pages printed from the jobs
   * released that day, as the desk totals and the statistics count them: the charges' pages said a
   * job the printer stopped after 2 of 5 pages was 5, and a free job none.
   */
  dailyReport(date: string): PrintDailyReport {
    const { ledger, journal } = this.open();
    const report = ledger.dailyReport(date);
    const { from, to } = localDay(date);
    const printed = new Map(journal.pagesPerQueue(from, to).map((row) => [row.queue, row.pages]));
    const queues = new Map(
      report.queues.map((queue) => [queue.queue, { ...queue, impressions: printed.get(queue.queue) ?? 0 }]),
    );
    for (const [queue, pages] of printed)
      if (!queues.has(queue))
        queues.set(queue, { queue, chargedMinor: 0, refundedMinor: 0, incomeMinor: 0, impressions: pages });
    return { ...report, queues: [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue)) };
  }

  ledgerQuarters(from: number, to: number): PrintLedgerQuarterRow[] {
    return this.open().ledger.perQuarter(from, to);
  }

  releaseQuarters(from: number, to: number): PrintReleaseQuarterRow[] {
    return this.open().journal.perQuarter(from, to);
  }

  async thumbnail(
    queueId: string,
    jobId: number,
    patron?: string,
    options: { releaseCode?: string } = {},
  ): Promise<Buffer | undefined> {
    const queue = this.open().workflow.queue(queueId);
    const job = queue.heldJobs().find((j) => j.jobId === jobId);
    // A guest job's page one only with its release code, as its listing: without it, any patron
    // logged in was shown anyone's document by its job number.
    if (!job || (patron !== undefined && !claims(queue, job, patron, options.releaseCode))) return undefined;
    return queue.thumbnail(jobId);
  }

  /** Ledger and journal invariants: empty when all hold. */
  invariantViolations(): string[] {
    const { ledger, journal, transferJournal } = this.open();
    return [
      ...ledger.invariantViolations(),
      ...journal.invariantViolations(),
      ...transferJournal.invariantViolations(),
    ];
  }

  private open(): Books {
    let db: Database;
    try {
      db = this.options.database();
    } catch (error) {
      throw new CarrelError('unavailable', 'print accounts are not available: the database is not open', {
        cause: error,
      });
    }
    if (this.books?.db === db) return this.books;
    const { clock, logger } = this.options;
    const ledger = new PrintLedger(db, {
      currency: this.options.config.currency,
      maxAmountMinor: this.options.config.maxAmountMinor,
      clock,
    });
    const journal = new ReleaseJournal(db, ledger, clock, () => this.options.statisticsWritten?.());
    const commits = new GroupCommit(db);
    const workflow = new ReleaseWorkflow({
      ledger,
      journal,
      commits,
      queues: this.options.queues,
      clock,
      logger: logger.child({ module: 'print-release' }),
      ...(this.options.followIntervalMs ? { followIntervalMs: this.options.followIntervalMs } : {}),
      ...(this.options.afterCharge ? { afterCharge: this.options.afterCharge } : {}),
    });
    const transferJournal = new IlsTransferJournal(db, ledger, clock);
    const { accounts, ...tuning } = this.options.ilsTransfer ?? { accounts: undefined };
    const transfers = new IlsTransfers({
      ledger,
      journal: transferJournal,
      ils: accounts,
      clock,
      logger: logger.child({ module: 'print-ils-transfer' }),
      cardRefusal: (request) => this.cards.transferRefusal(request.requestId, request.patron),
      ...tuning,
    });
    this.books = { db, commits, ledger, journal, workflow, transfers, transferJournal };
    return this.books;
  }
}
