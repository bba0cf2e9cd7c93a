/**
 * Release = charge, then Release-Job, as one journaled step, and the job
 * followed until the printer says how it ended.
 *
 * - The charge and the journal row are one SQLite transaction, committed
 *   before Release-Job is sent. If Release-Job is refused (the job is gone, or
 *   no longer held) the charge is refunded at once. If the answer is lost (the
 *   server went away mid-release, or Carrel died), the row stays `charged` and
 *   recovery asks the server: a job still held is released (the patron paid
 *   and asked for it), a job the printer has is marked released, a job that is
 *   gone or cancelled is refunded. So a job is never charged and not printed,
 *   nor printed and not charged.
 * - A released job is followed: completed with fewer impressions than were
 *   charged (as the printer reports them), aborted or cancelled by the printer
 *   — the difference is refunded with the reason.
 */
import { type Clock, type TimerHandle, withDeadline } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { SingleFlight } from '../../core/single-flight.js';
import type { PrintQuote } from '../contracts/print-accounts.js';
import type { GroupCommit } from '../storage/index.js';
import type { PrintLedger } from './ledger.js';
import type { HeldJob, ReleaseQueue, ServerJobState } from './queue.js';
import type { ChargedRelease, ReleaseJournal, ReleaseRefusal } from './release-journal.js';
import { dueFor, periodStart, quote } from './tariff.js';

/** How long a staff refund waits for the print server to cancel the rest of a job it refunded. */
const CANCEL_REST_WAIT_MS = 3_000;

const DEFINITE_REFUSALS = new Set(['print_job_not_found', 'print_job_not_possible']);

/** What became of a job the print server would not release, in the words of the desk. */
const DELETED_BEFORE_PRINTING = 'the job was deleted at the print server before it could be printed';
const NOT_SENT = 'the print server would not send the job to the printer';

export interface ReleaseWorkflowOptions {
  ledger: PrintLedger;
  journal: ReleaseJournal;
  /** The database's group commit: charges asked for together share one fsync. */
  commits: GroupCommit;
  queues: () => readonly ReleaseQueue[];
  clock: Clock;
  logger: Logger;
  /**
   * How often open releases are followed (2 s): only while there are any (charged, at the printer,
   * or refunded at the desk before the printer said how the job ended). With none open, nothing is
   * read and no timer wakes the desk until the next release is charged.
   */
  followIntervalMs?: number;
  /** For the crash tests: called after a charge is committed, before Release-Job is sent. */
  afterCharge?: (release: ChargedRelease) => void;
}

export class ReleaseWorkflow {
  private timer: TimerHandle | undefined;
  private started = false;
  private following: Promise<void> | undefined;
  /** Release-Jobs on their way, by release id. */
  private readonly sending = new SingleFlight<string, ChargedRelease>();

  constructor(private readonly options: ReleaseWorkflowOptions) {}

  /** Follows the releases a crash or a stop left open, and from then on each one charged. */
  start(): void {
    this.started = true;
    this.warnNotFollowed();
    void this.follow();
  }

  /**
   * Says in the log, per queue, the releases not settled whose print queue was taken out of the
   * configuration: nothing of them is refunded by itself, staff see them on /print-staff.
   */
  private warnNotFollowed(): void {
    const counts = new Map<string, number>();
    for (const release of this.options.journal.open())
      if (!this.follows(release)) counts.set(release.queue, (counts.get(release.queue) ?? 0) + 1);
    for (const [queue, releases] of counts)
      this.options.logger.warn(
        { queue, releases },
        'releases charged on a print queue no longer in the configuration are not followed: nothing of them is refunded by itself; staff see them on the print desk page and refund what did not print (or put the queue back in the configuration)',
      );
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.following;
  }

  /** Follows open releases every interval while there are any; none: the timer stops. */
  private keepFollowing(open: boolean): void {
    if (open && this.started) {
      this.timer ??= this.options.clock.setInterval(
        'print-release-follow',
        () => void this.follow(),
        this.options.followIntervalMs ?? 2000,
      );
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
  }

  queue(id: string): ReleaseQueue {
    const queue = this.options.queues().find((q) => q.id === id);
    if (!queue) throw new CarrelError('print_queue_not_found', `no print queue "${id}"`);
    return queue;
  }

  quoteFor(account: string, queue: ReleaseQueue, job: HeldJob): PrintQuote | null {
    if (job.pages === null) return null;
    const free = queue.tariff.free;
    const used = free
      ? this.options.journal.allowanceUsed(account, periodStart(free.period, this.options.clock.now()))
      : { impressions: 0, amountMinor: 0 };
    return quote(
      queue.tariff,
      {
        impressions: job.pages * job.copies,
        color: job.color,
        duplex: job.sides.startsWith('two-sided'),
        media: job.media,
      },
      used,
      this.options.ledger.currency,
    );
  }

  /** Why this job cannot be released now; null when it can. */
  problemOf(queue: ReleaseQueue, job: HeldJob): { code: string; message: string } | null {
    if (job.pagesProblem) return job.pagesProblem;
    if (job.pages === null)
      return { code: 'print_job_pages_unknown', message: 'the pages of this job are still being counted' };
    if (job.pages * job.copies > queue.maxImpressions)
      return {
        code: 'print_job_too_large',
        message: `${job.pages * job.copies} pages is more than the ${queue.maxImpressions} one job may print`,
      };
    return queue.releaseBlocked();
  }

  async release(request: {
    requestId: string;
    account: string;
    queue: string;
    jobId: number;
    claim: (job: HeldJob) => boolean;
    /** Called when the request is one seen before (its id): it is answered as the first was. */
    onReplay?: () => void;
  }): Promise<ChargedRelease> {
    const { journal, commits } = this.options;
    // Not configured (taken out of the configuration since): the same request again is still
    // answered from the journal below; a new one is refused there, before anything is charged.
    const configured = this.options.queues().find((q) => q.id === request.queue);
    // Finding the job, its price (the free allowance reads earlier charges) and
    // the charge are one synchronous step in the group's transaction, so two
    // releases committed together see each other as if one came after the other.
    const { release, repeated, settled } = await commits.run(() => {
      // The same request again (its answer lost) is answered as the first was, whatever the job
      // and its queue are now: the release, or its refusal (the id with another job is refused,
      // naming the field).
      const previous = journal.sameRequest(request);
      if (previous && previous.state !== 'charged')
        return { release: previous, repeated: true, settled: true };
      // Charged, Release-Job's answer not heard (the print server away, the answer lost): the same
      // request again is sent on (or waits for the Release-Job on its way), whatever the queue says
      // now — a queue found unreachable meanwhile answered 'cannot be reached', which a station reads
      // as 'nothing was charged', of a job charged that prints once the print server is back.
      // Its queue taken out of the configuration since, it cannot be sent on: answered as it is
      // (charged), the view saying the desk cannot follow it.
      if (previous) return { release: previous, repeated: true, settled: configured === undefined };
      const queue = configured ?? this.queue(request.queue);
      const job = queue.heldJobs().find((j) => j.jobId === request.jobId && request.claim(j));
      if (!job)
        throw new CarrelError(
          'print_job_not_found',
          'this job is not waiting to be printed (it was printed already, or deleted at the print server): nothing was charged',
        );
      const problem = this.problemOf(queue, job);
      if (problem) throw new CarrelError(problem.code, problem.message);
      return {
        settled: false,
        ...journal.begin({
          requestId: request.requestId,
          account: request.account,
          queue: queue.id,
          jobId: job.jobId,
          jobKey: job.key,
          jobName: job.name,
          quote: this.quoteFor(request.account, queue, job) as PrintQuote,
          color: job.color,
        }),
      };
    });
    if (repeated) request.onReplay?.();
    if (release.state === 'charged' && configured) this.keepFollowing(true);
    if (release.refusal) throw refusalError(release.refusal);
    if (settled || (repeated && release.state !== 'charged')) return release;
    this.options.afterCharge?.(release);
    return this.sendRelease(configured ?? this.queue(request.queue), release);
  }

  /**
   * Sends Release-Job for a charged release, once at a time: the same request sent again while
   * it is on its way, or the follower finding the release still charged, waits for its answer. A
   * second Release-Job sent beside a refused one printed the job, its charge refunded.
   */
  private sendRelease(queue: ReleaseQueue, release: ChargedRelease): Promise<ChargedRelease> {
    return this.sending.run(release.id, () => this.sendReleaseOnce(queue, release));
  }

  /**
   * Sends Release-Job for a release still charged (as the journal has it now, not as a caller
   * read it before waiting on the print server). When it fails, the server is asked
   * where the job is: still held after a refusal, or gone, it is refunded at
   * once; with the printer, it was released after all; not known (the server is
   * away), the release stays charged for recovery to settle.
   */
  private async sendReleaseOnce(queue: ReleaseQueue, read: ChargedRelease): Promise<ChargedRelease> {
    const { journal, commits } = this.options;
    const release = journal.get(read.id) ?? read;
    if (release.state !== 'charged') {
      if (release.refusal) throw refusalError(release.refusal);
      return release;
    }
    let failure: { code: string; message: string } | undefined;
    try {
      await queue.release(release.jobId);
    } catch (error) {
      failure = describeError(error);
    }
    if (!failure) return commits.run(() => journal.markReleased(release.id));
    const status = await queue.status(release.jobId).catch(() => undefined);
    const refused = DEFINITE_REFUSALS.has(failure.code);
    if (
      status?.state === 'gone' ||
      (status?.state === 'pending-held' && refused) ||
      status?.state === 'canceled'
    ) {
      // The print server's words (its address, IPP's status) are for whoever looks after it: the log.
      this.options.logger.warn(
        {
          code: failure.code,
          queue: queue.id,
          job: release.jobId,
          release: release.id,
          jobState: status.state,
        },
        `the print server refused to release a job; its charge was refunded: ${failure.message}`,
      );
      const held = status.state === 'pending-held';
      const words = held ? NOT_SENT : DELETED_BEFORE_PRINTING;
      const refusal = {
        message: `${words}; the charge was refunded${held ? '. The job is still waiting: try again, or ask at the desk' : ''}`,
        jobStillWaiting: held,
      };
      const settled = await commits.run(() =>
        journal.settle(release.id, {
          state: 'refunded',
          printedImpressions: 0,
          refundMinor: release.amountMinor,
          reason: `not printed: ${words}; the charge was refunded`,
          refusal,
        }),
      );
      // Settled meanwhile by another (the follower, a retry): answered as it was settled.
      if (settled.refusal) throw refusalError(settled.refusal);
      return settled;
    }
    if (status !== undefined && status.state !== 'pending-held')
      return commits.run(() => journal.markReleased(release.id));
    this.options.logger.warn(
      { code: failure.code, queue: queue.id, release: release.id },
      'release not confirmed; it will be completed or refunded',
    );
    throw new CarrelError(
      'print_release_pending',
      'the print server did not answer; the release will be completed or refunded as soon as it does',
    );
  }

  /** One round over the open releases: recover the charged, follow the released. Never overlaps itself. */
  follow(): Promise<void> {
    this.following ??= this.followOnce().finally(() => {
      this.following = undefined;
    });
    return this.following;
  }

  /**
   * Whether the desk follows a release to its end: its print queue is configured. One taken out of
   * the configuration since is neither sent on, settled, nor refunded by itself.
   */
  follows(release: ChargedRelease): boolean {
    return this.options.queues().some((q) => q.id === release.queue);
  }

  /**
   * The pages the printer had printed of a release it has not ended, as last heard and kept on the
   * release (none heard yet: none printed); undefined when the printer is not known to hold the job.
   */
  printedSoFar(release: ChargedRelease): number | undefined {
    if (release.state !== 'released') return undefined;
    const seen = release.printerHeard;
    if (seen === null) return 0;
    return seen.state === 'pending' || seen.state === 'processing' || seen.state === 'processing-stopped'
      ? (seen.impressionsCompleted ?? 0)
      : undefined;
  }

  /**
   * Cancels at the print server the rest of a job the desk refunded the pages not printed of (see
   * ReleaseJournal.staffRefund): waits at most a few seconds, and is asked again at each round of
   * the follower until the print server has ended the job. The release as it stands after: the
   * job heard cancelled when it was cancelled now.
   */
  async cancelRest(release: ChargedRelease): Promise<ChargedRelease> {
    if (release.cancelRestAfter === null) return release;
    const queue = this.options.queues().find((q) => q.id === release.queue);
    if (!queue) return release;
    this.keepFollowing(true);
    try {
      await withDeadline(
        this.options.clock,
        'print-release-cancel-rest',
        queue.cancel(release.jobId),
        CANCEL_REST_WAIT_MS,
        () => new CarrelError('print_server_timeout', 'the print server did not answer Cancel-Job in time'),
      );
    } catch (error) {
      const described = describeError(error);
      this.options.logger.warn(
        { code: described.code, queue: queue.id, job: release.jobId, release: release.id },
        `the rest of a job refunded at the desk was not cancelled at the print server yet; asked again: ${described.message}`,
      );
      return this.options.journal.get(release.id) ?? release;
    }
    const { journal, commits } = this.options;
    return commits.run(() => {
      const seen = (journal.get(release.id) ?? release).printerHeard;
      return journal.heard(release.id, {
        state: 'canceled',
        impressionsCompleted: seen && seen.state !== 'gone' ? seen.impressionsCompleted : undefined,
      });
    });
  }

  private async followOnce(): Promise<void> {
    let open: ChargedRelease[];
    try {
      open = this.options.journal.open();
    } catch (error) {
      // The journal could not be read: asked again at the next interval, as with releases open.
      this.keepFollowing(true);
      throw error;
    }
    // On while any is open: the round after the last one ended finds none and stops it. A release
    // charged during this round's awaits starts it again.
    // Releases of a queue taken out of the configuration are not followed: they keep no timer going.
    this.keepFollowing(open.some((release) => this.follows(release)));
    for (const release of open) {
      try {
        await this.followOne(release);
      } catch (error) {
        const described = describeError(error);
        this.options.logger.debug?.(
          { code: described.code, release: release.id },
          `release not followed: ${described.message}`,
        );
      }
    }
  }

  private async followOne(release: ChargedRelease): Promise<void> {
    const { journal } = this.options;
    const queue = this.options.queues().find((q) => q.id === release.queue);
    if (!queue) return;
    const status = await queue.status(release.jobId);
    // Where the job stood at the round before (or before a restart): kept on the release.
    const before = release.printerHeard ?? undefined;
    if (release.state === 'charged') {
      // Carrel died, or the answer was lost, between the charge and Release-Job's answer.
      if (status.state === 'pending-held') {
        await this.sendRelease(queue, release).catch(() => {});
        return;
      }
      // Refunded before it reached the printer: the request sent again (its answer was 'pending', or
      // lost) is answered that it was not printed, as a refusal at Release-Job is.
      const notPrinted =
        status.state === 'gone'
          ? DELETED_BEFORE_PRINTING
          : (status.state === 'canceled' || status.state === 'aborted') && !status.impressionsCompleted
            ? status.state === 'canceled'
              ? 'the job was cancelled at the print server before it printed'
              : 'the printer stopped the job before it printed'
            : undefined;
      if (notPrinted !== undefined) {
        await this.settle(release.id, {
          state: 'refunded',
          printedImpressions: 0,
          refundMinor: release.amountMinor,
          reason: `not printed: ${notPrinted}; the charge was refunded`,
          refusal: { message: `${notPrinted}; the charge was refunded`, jobStillWaiting: false },
        });
        return;
      }
      await this.options.commits.run(() => journal.markReleased(release.id));
    }
    if (
      status.state === 'pending' ||
      status.state === 'processing' ||
      status.state === 'processing-stopped'
    ) {
      // At the printer: what was heard is kept on disk when it changed (not at every round), before
      // the desk shows it or a refund counts on it. A job that ended is settled below, in one write.
      if (!sameHeard(before, status)) await this.options.commits.run(() => journal.heard(release.id, status));
      if (release.cancelRestAfter !== null) await this.cancelRest(release);
      return;
    }
    await this.settleIfDone(queue, release, status, before);
  }

  /** Settles a release in the group's flush, beside the charges and refunds asked for meanwhile. */
  private settle(id: string, outcome: Parameters<ReleaseJournal['settle']>[1]): Promise<ChargedRelease> {
    return this.options.commits.run(() => this.options.journal.settle(id, outcome));
  }

  /** Settles a release the printer ended as the print server said (`status`), kept with it. */
  private settleEnded(
    release: ChargedRelease,
    status: ServerJobState,
    outcome: Omit<Parameters<ReleaseJournal['settle']>[1], 'ended'>,
  ): Promise<ChargedRelease> {
    return this.settle(release.id, { ...outcome, ended: status });
  }

  private async settleIfDone(
    queue: ReleaseQueue,
    release: ChargedRelease,
    status: Awaited<ReturnType<ReleaseQueue['status']>>,
    /** Where the job stood at the round before, when the follower heard it then. */
    before?: ServerJobState,
  ): Promise<void> {
    if (status.state === 'gone') {
      // Last heard stopped part-way (a jam, paper out, the printer off): the pages known printed are
      // charged, the rest refunded, and staff told the rest is not known — taken as printed, a
      // jammed job the print server purged was charged in full for the pages that came out. One
      // last heard printing, or waiting, may well have ended since: taken as printed, as before.
      // A job whose rest the desk had cancelled with a refund printed no more than was heard then.
      const heard = before && before.state !== 'gone' ? before.impressionsCompleted : undefined;
      const known =
        release.cancelRestAfter !== null
          ? Math.max(release.cancelRestAfter, heard ?? 0)
          : before?.state === 'processing-stopped'
            ? heard
            : undefined;
      if (known !== undefined && known < release.impressions) {
        const refund = release.amountMinor - dueFor(known, release);
        // The pages printed after a desk refund that cancelled the rest are not charged: the refund stands.
        const charged =
          release.cancelRestAfter === null
            ? `only the ${known} were charged (if the patron has more, staff may charge them with a correction)`
            : printedAfterRefundWords(release, known) ||
              `the desk had refunded the pages not printed after ${release.cancelRestAfter}`;
        await this.settleEnded(release, status, {
          state: refund > 0 ? 'refunded' : 'completed',
          printedImpressions: known,
          refundMinor: refund,
          reason: `the print server no longer lists the job: the printer had printed ${known} of ${release.impressions} pages when last heard, and whether the other ${release.impressions - known} printed is not known; ${charged}`,
        });
        return;
      }
      await this.settleEnded(release, status, {
        state: 'completed',
        printedImpressions: null,
        refundMinor: 0,
        reason:
          'taken as printed: the print server no longer lists the job, so the pages printed are not known',
      });
      return;
    }
    const reported = status.impressionsCompleted;
    if (status.state === 'completed') {
      // A printer that reports nothing (or 0 for a job it completed), or a queue whose count is not
      // the printer's, is taken at the document's count.
      if (
        queue.reconcile === 'job-state' ||
        reported === undefined ||
        reported === 0 ||
        reported >= release.impressions
      ) {
        const printed =
          queue.reconcile === 'job-state' ? release.impressions : reported || release.impressions;
        // The printer got to the end before the print server took the Cancel-Job of a desk refund.
        const afterRefund = printedAfterRefundWords(release, printed);
        await this.settleEnded(release, status, {
          state: 'completed',
          printedImpressions: printed,
          refundMinor: 0,
          reason: afterRefund
            ? `printed: the printer printed ${printed} of ${release.impressions} pages before the print server could cancel the rest; ${afterRefund}`
            : 'printed',
        });
        return;
      }
      const refund = release.amountMinor - dueFor(reported, release);
      const afterRefund = printedAfterRefundWords(release, reported);
      await this.settleEnded(release, status, {
        state: refund > 0 ? 'refunded' : 'completed',
        printedImpressions: reported,
        refundMinor: refund,
        reason: `the printer printed ${reported} of ${release.impressions} pages${
          afterRefund ? `; ${afterRefund}` : refund > 0 ? '; the pages not printed were refunded' : ''
        }`,
      });
      return;
    }
    if (status.state === 'aborted' || status.state === 'canceled') {
      const printed = reported ?? 0;
      const refund = release.amountMinor - dueFor(printed, release);
      const cancelled = release.cancelRestAfter !== null && status.state === 'canceled';
      const ended = `${status.state === 'aborted' ? 'the printer stopped the job' : cancelled ? 'the job was cancelled at the print server' : 'the job was cancelled at the printer'} after ${printed} of ${release.impressions} pages`;
      const afterRefund = printedAfterRefundWords(release, printed);
      await this.settleEnded(release, status, {
        state: 'refunded',
        printedImpressions: printed,
        refundMinor: refund,
        reason: afterRefund
          ? `${ended}; ${afterRefund}`
          : cancelled
            ? `${ended}, when the desk refunded the pages not printed: they were not printed later`
            : `${ended}; the pages not printed were refunded`,
      });
    }
  }
}

/**
 * The pages a job printed after the desk refunded the pages it had not printed (and cancelled the
 * rest), before the print server stopped it, in words: not charged — the desk's refund stands, and
 * the patron keeps the pages. Empty when it printed none after the refund, or the desk made none.
 */
function printedAfterRefundWords(release: ChargedRelease, printed: number): string {
  const after = release.cancelRestAfter;
  if (after === null || printed <= after) return '';
  return `the desk had refunded the pages not printed after ${after}: the ${printed - after} printed after the refund were not charged`;
}

/** Whether the print server said the same of a job as was heard before (its state, the pages printed). */
function sameHeard(before: ServerJobState | undefined, now: ServerJobState): boolean {
  if (before === undefined || before.state !== now.state) return false;
  if (before.state === 'gone' || now.state === 'gone') return true;
  return (before.impressionsCompleted ?? null) === (now.impressionsCompleted ?? null);
}

/**
 * A release that did not reach the printer, its charge refunded, as it is answered — the first time
 * and to the same request sent again. `jobStillWaiting` tells a client a job it may release again
 * (a new request) from one that is gone, without reading the words.
 */
function refusalError(refusal: ReleaseRefusal): CarrelError {
  return new CarrelError('print_release_refused', refusal.message, {
    details: { jobStillWaiting: refusal.jobStillWaiting },
  });
}
