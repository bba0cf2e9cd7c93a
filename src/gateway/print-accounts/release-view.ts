/**
 * A release as the station, the desk and the API are shown it: what the journal keeps of it; while
 * the printer has its job, how far the printer has got (as last heard, kept on the release); and
 * what became of the rest of a job the desk refunded the pages not printed of — in the desk's words.
 */
import { isoTime } from '../../core/iso-time.js';
import type {
  PrintReleaseAtPrinter,
  PrintReleaseNotFollowed,
  PrintReleaseRestCancelled,
  PrintReleaseView,
} from '../contracts/print-accounts.js';
import type { ChargedRelease } from './release-journal.js';

/** The release as the journal keeps it (the patron's card number for staff only). */
export function releaseView(release: ChargedRelease, withPatron: boolean): PrintReleaseView {
  return {
    id: release.id,
    requestId: release.requestId,
    queue: release.queue,
    jobId: release.jobId,
    jobName: release.jobName,
    impressions: release.impressions,
    amountMinor: release.amountMinor,
    refundedMinor: release.refundedMinor,
    currency: release.currency,
    state: release.state,
    printedImpressions: release.printedImpressions,
    outcome: outcomeWords(release.outcome),
    at: isoTime(release.createdAt),
    updatedAt: isoTime(release.updatedAt),
    ...(withPatron ? { patron: release.account } : {}),
  };
}

/**
 * The release as it stands now: as the journal keeps it, where the printer is with it, and what
 * became of a rest the desk cancelled.
 */
export function releaseViewNow(
  release: ChargedRelease,
  withPatron: boolean,
  /** Whether the desk follows it (its print queue is configured). */
  followed = true,
): PrintReleaseView {
  const printer = atPrinter(release);
  const rest = restCancelled(release);
  const lost = followed ? undefined : notFollowed(release);
  return {
    ...releaseView(release, withPatron),
    ...(printer ? { printer } : {}),
    ...(rest ? { restCancelled: rest } : {}),
    ...(lost ? { notFollowed: lost } : {}),
  };
}

/**
 * A release whose money is not settled, its print queue taken out of Carrel's configuration since:
 * the desk cannot ask the print server how it ends, so nothing of it is refunded by itself. Said in
 * the desk's words, with what staff do; undefined for a release that has ended.
 */
function notFollowed(release: ChargedRelease): PrintReleaseNotFollowed | undefined {
  if (release.state !== 'charged' && release.state !== 'released') return undefined;
  const queue = `the print queue “${release.queue}” is no longer in Carrel's configuration`;
  const back = 'or put the queue back in the configuration: the desk then settles it';
  return {
    code: 'print_queue_not_configured',
    message:
      release.state === 'charged'
        ? `${queue}, so the desk cannot ask the print server whether this job was sent to the printer, and it is not refunded by itself: ask the patron whether it printed, and refund it if it did not (${back})`
        : `${queue}, so the desk no longer follows this job at the printer, and what it does not print is not refunded by itself: ask the patron what came out, and refund the rest (${back})`,
  };
}

/**
 * How far the printer has got with a release it has not ended (as the follower last heard it, kept
 * on the release), in the desk's words: a jammed or stopped printer holds a job part-printed for
 * as long as it takes, and staff refunding the pages that did not come out need to know how many did.
 */
function atPrinter(release: ChargedRelease): PrintReleaseAtPrinter | undefined {
  const atPrinter =
    release.state === 'released' || (release.state === 'refunded' && release.outcome === null);
  if (!atPrinter) return undefined;
  const seen = release.printerHeard;
  if (release.cancelRestAfter !== null)
    return {
      state: seen && seen.state !== 'gone' ? seen.state : 'canceled',
      impressionsCompleted: seen && seen.state !== 'gone' ? (seen.impressionsCompleted ?? null) : null,
      message: restCancelledWords(release, seen?.state === 'canceled' || seen?.state === 'gone'),
    };
  if (release.state !== 'released') return undefined;
  if (!seen || seen.state === 'gone') return undefined;
  const printed = seen.impressionsCompleted ?? null;
  const outOf = printed === null ? '' : ` ${printed} of ${release.impressions} pages`;
  const message =
    seen.state === 'processing-stopped'
      ? `the printer stopped${outOf ? ` after${outOf}` : ''}: the print server holds the job until the printer is seen to (a jam, paper, or the printer switched off)`
      : seen.state === 'processing'
        ? `printing${outOf ? `:${outOf} out` : ''}`
        : seen.state === 'pending'
          ? 'waiting for the printer to take it'
          : undefined;
  return message === undefined ? undefined : { state: seen.state, impressionsCompleted: printed, message };
}

/**
 * What became of the rest of a job the desk refunded the pages not printed of, whatever the release's
 * state now: being cancelled, cancelled, or printed before the print server could cancel it — the
 * pages printed after the refund never charged (the desk's refund stands). Undefined for a release
 * the desk cancelled nothing of.
 */
function restCancelled(release: ChargedRelease): PrintReleaseRestCancelled | undefined {
  const after = release.cancelRestAfter;
  if (after === null) return undefined;
  const heard = release.printerHeard;
  const ended = release.state === 'completed' || release.outcome !== null;
  if (!ended)
    return {
      refundedAfter: after,
      ended: false,
      printedAfterRefund: null,
      chargedAfterRefundMinor: 0,
      message: restCancelledWords(release, heard?.state === 'canceled' || heard?.state === 'gone'),
    };
  const more = Math.max(0, (release.printedImpressions ?? after) - after);
  const refunded = `refunded at the desk after ${after} of ${release.impressions} pages`;
  const notCharged = 'not charged (the refund stands)';
  const message =
    heard?.state === 'gone'
      ? `${refunded}; the print server no longer lists the job, so whether the rest was cancelled is not known${more > 0 ? `: ${more} more were heard printed after the refund, ${notCharged}` : ''}`
      : heard?.state === 'completed' || release.state === 'completed'
        ? `${refunded}, but the printer printed ${more === release.impressions - after ? `the other ${more}` : `${more} more`} before the print server could cancel them: ${notCharged}`
        : more > 0
          ? `${refunded}: ${more} more printed before the print server stopped the job, ${notCharged}`
          : `${refunded}: the rest of the job was cancelled at the print server, so the pages refunded were not printed (to have them, the patron prints them again)`;
  return { refundedAfter: after, ended: true, printedAfterRefund: more, chargedAfterRefundMinor: 0, message };
}

/** A release refunded at the desk for the pages not printed, the rest of its job cancelled, in the desk's words. */
function restCancelledWords(release: ChargedRelease, cancelled: boolean): string {
  const rest = cancelled
    ? 'the rest of the job was cancelled at the print server'
    : 'the rest of the job is being cancelled at the print server (Carrel asks it again until it is)';
  return `refunded at the desk after ${release.cancelRestAfter} of ${release.impressions} pages: ${rest}, so the pages refunded do not print when the printer is seen to (to have them, the patron prints them again)`;
}

/**
 * How a release ended, as the desk reads it. Releases settled before Carrel said it in words kept the
 * print server's own ('the print server did not release the job: ipp://…: client-error-not-possible
 * (job 9 is not held)'): they are read in words too.
 */
function outcomeWords(outcome: string | null): string | null {
  if (outcome?.startsWith('the print server did not release the job'))
    return 'not printed: the print server did not send the job to the printer; the charge was refunded';
  if (outcome === 'the job was gone before it was released')
    return 'not printed: the job was deleted at the print server before it could be printed; the charge was refunded';
  return outcome;
}
