/**
 * Whether a print account may be paid out now, in the desk's words: not while one of the patron's
 * releases may still be refunded (the print server has not said whether it printed, or the printer
 * still has it) — the refund would land on a balance the patron was told was 0, after the cash was
 * handed over.
 */
import { CarrelError } from '../../core/errors.js';
import { moneyText } from '../circulation/money.js';
import type { ChargedRelease } from './release-journal.js';
import { releaseViewNow } from './release-view.js';

/** The refusal of a payout while `unsettled` (the patron's releases not settled) are, or undefined when none is. */
export function payoutRefusal(unsettled: readonly ChargedRelease[]): CarrelError | undefined {
  const first = unsettled[0];
  if (!first) return undefined;
  const inDoubtMinor = unsettled.reduce((sum, r) => sum + r.amountMinor - r.refundedMinor, 0);
  const jobs = unsettled.map(unsettledWords).join('; ');
  const waiting = unsettled.some((r) => r.state === 'charged');
  const atPrinter = unsettled.some((r) => r.state === 'released');
  const todo = [
    waiting
      ? 'wait until the print server says whether it printed (Carrel refunds it by itself if it did not)'
      : '',
    atPrinter
      ? 'wait until the printer has ended it, or refund it first (Released jobs, Refund) if it will not print'
      : '',
  ]
    .filter(Boolean)
    .join(', or ');
  return new CarrelError(
    'print_release_unsettled',
    `nothing was paid out: ${jobs}. What is refunded of ${unsettled.length === 1 ? 'it' : 'them'} (${moneyText(inDoubtMinor, first.currency)} at most) would come back to the balance after it was paid out. ${capitalised(todo)}, then pay out the balance`,
    { details: { releaseId: first.id, releases: unsettled.length, inDoubtMinor } },
  );
}

/** One release not settled, in the desk's words: the job, what it was charged, and where it is. */
function unsettledWords(release: ChargedRelease): string {
  const job = `“${release.jobName}” (${release.queue}, ${moneyText(release.amountMinor - release.refundedMinor, release.currency)} charged)`;
  if (release.state === 'charged') return `${job} has not been confirmed by the print server yet`;
  const printer = releaseViewNow(release, false).printer;
  return `${job} is still at the printer${printer ? `: ${printer.message}` : ''}`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
