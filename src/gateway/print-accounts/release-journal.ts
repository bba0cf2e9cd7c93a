/**
 * The release journal: a release is one row, written in the same SQLite
 * transaction as its charge, before Release-Job is sent. After a crash every
 * row still `charged` is a release whose outcome is not known yet; the service
 * asks the print server and either completes it or refunds it. A refund is
 * written in the same transaction as the row's new state, so the ledger and
 * the journal never disagree.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import { moneyText } from '../circulation/money.js';
import type {
  PrintLedgerEntry,
  PrintQuote,
  PrintReleaseQuarterRow,
  PrintReleaseState,
} from '../contracts/print-accounts.js';
import { type Database, type Statement, statementsOn } from '../storage/index.js';
import { type PrintLedger, requestIdClash, smallestUnits } from './ledger.js';
import type { ServerJobState } from './queue.js';
import { RefundAnswers, type RefundAsked } from './release-refund-answers.js';
import { dueFor } from './tariff.js';

interface ReleaseRow {
  id: string;
  request_id: string;
  account: string;
  queue: string;
  job_id: number;
  job_key: string;
  job_name: string;
  impressions: number;
  free_impressions: number;
  free_minor: number;
  price_minor: number;
  amount_minor: number;
  currency: string;
  state: PrintReleaseState;
  refunded_minor: number;
  printed_impressions: number | null;
  outcome: string | null;
  created_at: number;
  updated_at: number;
  refusal: string | null;
  cancel_rest_after: number | null;
  printer_state: string | null;
  printer_impressions: number | null;
}

export interface ReleaseStart {
  requestId: string;
  account: string;
  queue: string;
  jobId: number;
  /** Unique per server job (queue, id and creation time): a job is charged once. */
  jobKey: string;
  jobName: string;
  quote: PrintQuote;
  /** Whether the job is in colour (for the statistics). */
  color?: boolean;
}

export interface ChargedRelease {
  id: string;
  requestId: string;
  account: string;
  queue: string;
  jobId: number;
  jobName: string;
  impressions: number;
  priceMinor: number;
  freeMinor: number;
  amountMinor: number;
  refundedMinor: number;
  currency: string;
  state: PrintReleaseState;
  printedImpressions: number | null;
  outcome: string | null;
  createdAt: number;
  updatedAt: number;
  /**
   * What the release was answered when it did not reach the printer (`print_release_refused`, its
   * charge refunded): the same request again is answered with it. Null for every other release.
   */
  refusal: ReleaseRefusal | null;
  /**
   * A release at the printer that the desk refunded for the pages not printed: the pages printed
   * when it was refunded, the rest of the job being cancelled at the print server. Null otherwise.
   */
  cancelRestAfter: number | null;
  /**
   * What the print server last said of the job while it was at the printer (its state, the pages
   * printed), as kept on disk when the follower heard it change; null when nothing was heard yet.
   */
  printerHeard: ServerJobState | null;
}

/** A release's refusal as it was answered: the detail, and whether the print server still held the job. */
export interface ReleaseRefusal {
  message: string;
  jobStillWaiting: boolean;
}

export class ReleaseJournal {
  /** Prepared once: compiling the SQL again for every entry cost more than the entry. */
  private readonly sql: (text: string) => Statement;
  /** What each staff refund was answered, for the same refund sent again. */
  private readonly refundAnswers: RefundAnswers;

  constructor(
    private readonly db: Database,
    private readonly ledger: PrintLedger,
    private readonly clock: Clock,
    /**
     * Told when a release was written that the statistics count (charged, settled, refunded): the
     * desk's recent days are read again then, not by a timer. Called inside the write's transaction:
     * whoever listens reads later, never in it.
     */
    private readonly written: () => void = () => {},
  ) {
    this.sql = statementsOn(db);
    this.refundAnswers = new RefundAnswers(db, (id) => this.require(id));
  }

  /**
   * Charges the patron and journals the release, as one transaction. The same
   * request again answers the same release (`repeated`); another request for a
   * job already charged is refused `print_job_already_released`.
   */
  begin(start: ReleaseStart): { release: ChargedRelease; repeated: boolean } {
    return this.db.transaction(() => {
      const existing = this.sameRequest(start);
      if (existing) return { release: existing, repeated: true };
      const taken = this.sql('SELECT id FROM print_releases WHERE job_key = ?').get(start.jobKey);
      if (taken)
        throw new CarrelError(
          'print_job_already_released',
          `job ${start.jobId} on ${start.queue} was already released`,
        );
      const id = randomUUID();
      const now = this.clock.now();
      // The charge is appended inside this transaction (no savepoint: a refusal writes nothing).
      if (start.quote.amountMinor > 0)
        this.ledger.post({
          requestId: `release:${id}:charge`,
          account: start.account,
          kind: 'charge',
          amountMinor: -start.quote.amountMinor,
          currency: start.quote.currency,
          queue: start.queue,
          releaseId: id,
          pages: start.quote.impressions,
          reason: `job ${start.jobId}`,
        });
      const release: ChargedRelease = {
        id,
        requestId: start.requestId,
        account: start.account,
        queue: start.queue,
        jobId: start.jobId,
        jobName: start.jobName.slice(0, 255),
        impressions: start.quote.impressions,
        priceMinor: start.quote.priceMinor,
        freeMinor: start.quote.freeMinor,
        amountMinor: start.quote.amountMinor,
        refundedMinor: 0,
        currency: start.quote.currency,
        state: 'charged',
        printedImpressions: null,
        outcome: null,
        createdAt: now,
        updatedAt: now,
        refusal: null,
        cancelRestAfter: null,
        printerHeard: null,
      };
      this.sql(
        `INSERT INTO print_releases (id, request_id, account, queue, job_id, job_key, job_name, impressions,
             free_impressions, free_minor, price_minor, amount_minor, currency, state, created_at, updated_at, color)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'charged', ?, ?, ?)`,
      ).run(
        id,
        release.requestId,
        release.account,
        release.queue,
        release.jobId,
        start.jobKey,
        release.jobName,
        release.impressions,
        start.quote.freeImpressions,
        release.freeMinor,
        release.priceMinor,
        release.amountMinor,
        release.currency,
        now,
        now,
        start.color === undefined ? null : start.color ? 1 : 0,
      );
      this.written();
      return { release, repeated: false };
    }, 'immediate');
  }

  /** Release-Job was accepted: the job is the printer's now. */
  markReleased(id: string): ChargedRelease {
    const row = this.sql(
      "UPDATE print_releases SET state = 'released', updated_at = ? WHERE id = ? AND state = 'charged' RETURNING *",
    ).get(this.clock.now(), id) as ReleaseRow | undefined;
    return row ? releaseOf(row) : this.require(id);
  }

  /**
   * Keeps what the print server said of a release's job at the printer (its state and the pages the
   * printer reported printed): written when it changed, before the desk shows it or counts on it, so
   * that a Carrel killed mid-job goes on from the pages known printed. Nothing is written for a
   * release that has ended. The release as it stands after.
   */
  heard(id: string, status: ServerJobState): ChargedRelease {
    const impressions = status.state === 'gone' ? null : (status.impressionsCompleted ?? null);
    const row = this.sql(
      `UPDATE print_releases SET printer_state = ?, printer_impressions = ?
         WHERE id = ? AND outcome IS NULL AND state IN ('charged', 'released', 'refunded') RETURNING *`,
    ).get(status.state, impressions, id) as ReleaseRow | undefined;
    return row ? releaseOf(row) : this.require(id);
  }

  /**
   * Settles a release: `completed` (it printed) or `refunded` (it did not print,
   * or printed less), refunding with its reason in the same transaction what is left of
   * `refundMinor` once the desk's refunds of the release are counted.
   */
  settle(
    id: string,
    outcome: {
      state: 'completed' | 'refunded';
      printedImpressions: number | null;
      /** What the outcome owes the patron in all (the pages not printed), desk refunds included. */
      refundMinor: number;
      reason: string;
      /**
       * The release did not reach the printer and is answered with this refusal, now and when the
       * same request is sent again. A job the print server still holds is let go of by this release,
       * so that it can be released (and charged) again — it was refused 'already released' for ever.
       */
      refusal?: ReleaseRefusal;
      /**
       * How the print server ended the job (its state, the pages printed; `gone`: it no longer lists
       * it), kept with the release in place of what was heard while it printed.
       */
      ended?: ServerJobState;
    },
  ): ChargedRelease {
    return this.db.transaction(() => {
      const release = this.require(id);
      if (release.state === 'completed' || (release.state === 'refunded' && release.outcome !== null))
        return release;
      if (outcome.ended)
        this.sql(
          `UPDATE print_releases SET printer_state = ?, printer_impressions = COALESCE(?, printer_impressions)
             WHERE id = ?`,
        ).run(
          outcome.ended.state,
          outcome.ended.state === 'gone' ? null : (outcome.ended.impressionsCompleted ?? null),
          id,
        );
      if (release.state === 'refunded') {
        // Refunded in full at the desk while it printed: nothing is left to refund, but how the
        // printer ended it is still the release's to tell ("Printed, refunded", not "Not printed").
        this.sql(
          'UPDATE print_releases SET printed_impressions = ?, outcome = ?, updated_at = ? WHERE id = ?',
        ).run(outcome.printedImpressions, outcome.reason, this.clock.now(), id);
        this.written();
        return this.require(id);
      }
      // What the outcome owes the patron (the pages not printed) is owed once: a refund the desk
      // made while the job was at the printer (the patron at the desk with a jammed job's pages)
      // counts towards it. Refunded again, the pages printed were free.
      const refund = Math.min(
        outcome.refundMinor - release.refundedMinor,
        release.amountMinor - release.refundedMinor,
      );
      if (refund > 0) this.postRefund(release, refund, outcome.reason, `release:${id}:settle`);
      if (outcome.refusal?.jobStillWaiting)
        this.sql(`UPDATE print_releases SET job_key = job_key || ' refused ' || id WHERE id = ?`).run(id);
      this.sql(
        `UPDATE print_releases SET state = ?, printed_impressions = ?, outcome = ?, refunded_minor = refunded_minor + ?,
             updated_at = ?, refusal = ? WHERE id = ?`,
      ).run(
        outcome.state,
        outcome.printedImpressions,
        outcome.reason,
        Math.max(0, refund),
        this.clock.now(),
        outcome.refusal ? JSON.stringify(outcome.refusal) : null,
        id,
      );
      this.written();
      return this.require(id);
    }, 'immediate');
  }

  /**
   * Staff: refunds part or all of what is left of a release's charge. The same refund sent again with
   * its request id is answered as it was the first time (release-refund-answers.ts).
   */
  staffRefund(
    request: RefundAsked & {
      staff: string;
      /**
       * For a release at the printer that has not ended it: the pages the printer had printed as last
       * heard. A refund that leaves no more charged than those pages cost (the pages not printed
       * refunded) marks the rest of the job to be cancelled at the print server: refunded, it is not
       * printed later for nothing.
       */
      printedSoFar?: number;
      /**
       * The release's print queue was taken out of the configuration: the print server is never
       * asked how it ended, so one still charged may be refunded by staff.
       */
      notFollowed?: boolean;
      /** Called when the request id's refund was made before and is answered again. */
      onReplay?: () => void;
    },
  ): ChargedRelease {
    return this.db.transaction(() => {
      const already = this.ledger.byRequest(request.requestId);
      if (already) return this.refundAnswers.again(already.entry, request, request.onReplay);
      const release = this.require(request.releaseId);
      // Charged, Release-Job's answer not heard (the print server away): the job may still print once
      // the server answers, and is refunded by itself if it does not. Refunded by staff meanwhile, it
      // printed and was refunded too — the patron had the pages and the money.
      if (release.state === 'charged' && !request.notFollowed)
        throw new CarrelError(
          'print_release_outcome_unknown',
          'the print server has not said yet whether this job was sent to the printer: Carrel refunds it by itself if it was not, and it may still print if it was. Refund it once the desk shows how it ended: nothing was refunded',
        );
      const left = release.amountMinor - release.refundedMinor;
      const amount = request.amountMinor ?? left;
      if (!Number.isSafeInteger(amount) || amount < 1)
        throw new CarrelError(
          'amount_invalid',
          request.amountMinor === undefined
            ? 'nothing of this job is left to refund: nothing was refunded'
            : `amountMinor must be ${smallestUnits(release.currency)}, more than 0; ${amount} was sent: nothing was refunded`,
        );
      if (amount > left)
        throw new CarrelError(
          'refund_exceeds_charge',
          `at most ${moneyText(left, release.currency)} of this job can still be refunded (${moneyText(amount, release.currency)} was asked): nothing was refunded`,
        );
      this.postRefund(release, amount, request.reason, request.requestId, request.staff);
      const state = amount === left ? 'refunded' : release.state;
      const printed = request.printedSoFar;
      const cancelRest =
        release.state === 'released' &&
        printed !== undefined &&
        printed < release.impressions &&
        release.refundedMinor + amount >= release.amountMinor - dueFor(printed, release);
      this.sql(
        `UPDATE print_releases SET refunded_minor = refunded_minor + ?, state = ?, updated_at = ?,
             cancel_rest_after = COALESCE(cancel_rest_after, ?) WHERE id = ?`,
      ).run(amount, state, this.clock.now(), cancelRest ? printed : null, release.id);
      this.written();
      const answered = this.require(release.id);
      this.refundAnswers.keep(request.requestId, answered);
      return answered;
    }, 'immediate');
  }

  get(id: string): ChargedRelease | undefined {
    const row = this.sql('SELECT * FROM print_releases WHERE id = ?').get(id) as ReleaseRow | undefined;
    return row && releaseOf(row);
  }

  /**
   * Releases whose outcome is not settled yet: to recover after a restart and to follow to
   * completion — one refunded in full at the desk before the printer ended it included.
   */
  open(): ChargedRelease[] {
    const rows = this.sql(
      `SELECT * FROM print_releases WHERE state IN ('charged', 'released') OR (state = 'refunded' AND outcome IS NULL)
         ORDER BY created_at`,
    ).all() as ReleaseRow[];
    return rows.map(releaseOf);
  }

  /**
   * A patron's releases whose money is not settled yet: charged and not heard of since, or at the
   * printer, with something of their charge left that their end may still refund.
   */
  unsettled(account: string): ChargedRelease[] {
    const rows = this.sql(
      `SELECT * FROM print_releases WHERE account = ? AND state IN ('charged', 'released')
         AND amount_minor > refunded_minor ORDER BY created_at`,
    ).all(account) as ReleaseRow[];
    return rows.map(releaseOf);
  }

  list(options: { account?: string; limit?: number }): ChargedRelease[] {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    const rows = (
      options.account === undefined
        ? this.sql('SELECT * FROM print_releases ORDER BY created_at DESC LIMIT ?').all(limit)
        : this.sql('SELECT * FROM print_releases WHERE account = ? ORDER BY created_at DESC LIMIT ?').all(
            options.account,
            limit,
          )
    ) as ReleaseRow[];
    return rows.map(releaseOf);
  }

  /**
   * Free allowance used by `account` since `from`: the free part of each release, or, once the
   * printer said it printed fewer pages than were released (a jam, an abort), of the pages it
   * printed — they are the free ones first (dueFor), and the pages not printed leave the allowance
   * as they leave the charge. A release refunded without printing uses none.
   */
  allowanceUsed(account: string, from: number): { impressions: number; amountMinor: number } {
    const row = this.sql(
      `SELECT COALESCE(SUM(CASE WHEN printed_impressions IS NULL THEN free_impressions
                                ELSE MIN(free_impressions, printed_impressions) END), 0) AS impressions,
              COALESCE(SUM(CASE WHEN printed_impressions IS NULL OR impressions <= 0 THEN free_minor
                                ELSE MIN(free_minor, printed_impressions * price_minor / impressions) END), 0) AS amount
         FROM print_releases WHERE account = ? AND created_at >= ? AND NOT (state = 'refunded' AND printed_impressions = 0)`,
    ).get(account, from) as { impressions: number; amount: number };
    return { impressions: row.impressions, amountMinor: row.amount };
  }

  /**
   * Releases per UTC quarter hour (since the epoch), queue and colour over [from, to) in epoch ms:
   * jobs, and pages as the printer counted them when it said (else as charged); a job refunded
   * before it printed counts no pages.
   */
  perQuarter(from: number, to: number): PrintReleaseQuarterRow[] {
    return this.sql(
      `SELECT created_at / 900000 AS quarter, queue,
         CASE color WHEN 1 THEN 'colour' WHEN 0 THEN 'mono' ELSE '' END AS colour,
         COUNT(*) AS jobs,
         COALESCE(SUM(CASE WHEN state = 'refunded' THEN COALESCE(printed_impressions, 0)
                           ELSE COALESCE(printed_impressions, impressions) END), 0) AS pages
       FROM print_releases WHERE created_at >= ? AND created_at < ?
       GROUP BY quarter, queue, colour ORDER BY quarter`,
    ).all(from, to) as PrintReleaseQuarterRow[];
  }

  /**
   * Pages printed per queue from the releases made over [from, to) in epoch ms, counted as
   * perQuarter counts them (the desk totals' and the statistics' pages): free jobs too, a job the
   * printer stopped part-way by the pages it printed, one refunded before it printed none.
   */
  pagesPerQueue(from: number, to: number): Array<{ queue: string; pages: number }> {
    return this.sql(
      `SELECT queue, COALESCE(SUM(CASE WHEN state = 'refunded' THEN COALESCE(printed_impressions, 0)
                                       ELSE COALESCE(printed_impressions, impressions) END), 0) AS pages
       FROM print_releases WHERE created_at >= ? AND created_at < ? GROUP BY queue`,
    ).all(from, to) as Array<{ queue: string; pages: number }>;
  }

  /** Journal and ledger agree: a release's refunds never exceed its charge, and match the ledger. */
  invariantViolations(): string[] {
    // One pass over the ledger, grouped by release: no index on release_id is kept for this check alone.
    const rows = this.sql(
      `WITH booked AS (
         SELECT release_id,
             -SUM(CASE kind WHEN 'charge' THEN amount_minor ELSE 0 END) AS charged,
             SUM(CASE kind WHEN 'refund' THEN amount_minor ELSE 0 END) AS refunded,
             SUM(kind = 'charge') AS charges
           FROM print_ledger WHERE release_id IS NOT NULL GROUP BY release_id)
       SELECT r.id, r.amount_minor, r.refunded_minor, COALESCE(b.charged, 0) AS charged,
           COALESCE(b.refunded, 0) AS refunded, COALESCE(b.charges, 0) AS charges
         FROM print_releases r LEFT JOIN booked b ON b.release_id = r.id`,
    ).all() as Array<{
      id: string;
      amount_minor: number;
      refunded_minor: number;
      charged: number;
      refunded: number;
      charges: number;
    }>;
    const problems: string[] = [];
    for (const row of rows) {
      if (row.charged !== row.amount_minor)
        problems.push(`release ${row.id}: charged ${row.charged}, journal says ${row.amount_minor}`);
      if (row.charges > 1) problems.push(`release ${row.id}: charged ${row.charges} times`);
      if (row.refunded !== row.refunded_minor)
        problems.push(`release ${row.id}: refunded ${row.refunded}, journal says ${row.refunded_minor}`);
      if (row.refunded > row.charged) problems.push(`release ${row.id}: refunded more than charged`);
    }
    return problems;
  }

  private postRefund(
    release: ChargedRelease,
    amount: number,
    reason: string,
    requestId: string,
    staff?: string,
  ): PrintLedgerEntry {
    return this.ledger.post({
      requestId,
      account: release.account,
      kind: 'refund',
      amountMinor: amount,
      currency: release.currency,
      queue: release.queue,
      releaseId: release.id,
      reason,
      ...(staff ? { staff } : {}),
    }).entry;
  }

  /**
   * The release made with this request id, when the request is the same (patron, queue, job);
   * undefined when the id is new. The id with another request is refused (409) naming the field
   * that differs as the release station sends it (`queue`, `jobId`), never the patron.
   */
  sameRequest(request: {
    requestId: string;
    account: string;
    queue: string;
    jobId: number;
  }): ChargedRelease | undefined {
    const existing = this.byRequest(request.requestId);
    if (!existing) return undefined;
    const differs =
      existing.account !== request.account
        ? 'another patron'
        : existing.queue !== request.queue
          ? 'another queue'
          : existing.jobId !== request.jobId
            ? 'another jobId'
            : undefined;
    if (differs) throw requestIdClash(request.requestId, differs);
    return existing;
  }

  private byRequest(requestId: string): ChargedRelease | undefined {
    const row = this.sql('SELECT * FROM print_releases WHERE request_id = ?').get(requestId) as
      | ReleaseRow
      | undefined;
    return row && releaseOf(row);
  }

  private require(id: string): ChargedRelease {
    const release = this.get(id);
    if (!release) throw new CarrelError('print_release_not_found', `no release ${id}`);
    return release;
  }
}

function releaseOf(row: ReleaseRow): ChargedRelease {
  return {
    id: row.id,
    requestId: row.request_id,
    account: row.account,
    queue: row.queue,
    jobId: row.job_id,
    jobName: row.job_name,
    impressions: row.impressions,
    priceMinor: row.price_minor,
    freeMinor: row.free_minor,
    amountMinor: row.amount_minor,
    refundedMinor: row.refunded_minor,
    currency: row.currency,
    state: row.state,
    printedImpressions: row.printed_impressions,
    outcome: row.outcome,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    refusal: row.refusal === null ? null : (JSON.parse(row.refusal) as ReleaseRefusal),
    cancelRestAfter: row.cancel_rest_after ?? null,
    printerHeard: printerHeardOf(row),
  };
}

/** What the print server last said of a release's job, as its row keeps it. */
function printerHeardOf(row: ReleaseRow): ServerJobState | null {
  if (row.printer_state === null || row.printer_state === undefined) return null;
  if (row.printer_state === 'gone') return { state: 'gone' };
  return {
    state: row.printer_state as Exclude<ServerJobState['state'], 'gone'>,
    impressionsCompleted: row.printer_impressions ?? undefined,
  };
}
