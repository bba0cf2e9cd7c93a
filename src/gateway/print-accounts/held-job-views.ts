/**
 * A held job as the station and the desk are shown it: its pages, price for the patron and why it
 * cannot be released now (its owner and patron for staff only), and which jobs a patron may see.
 */
import { isoTime } from '../../core/iso-time.js';
import type { PrintJobView } from '../contracts/print-accounts.js';
import type { HeldJob, ReleaseQueue } from './queue.js';
import type { ReleaseWorkflow } from './release-workflow.js';

/** A held job as shown to `patron` (its price for them; none for null), with owner and patron for staff. */
export function jobView(
  queue: ReleaseQueue,
  job: HeldJob,
  patron: string | null,
  workflow: ReleaseWorkflow,
  staff: boolean,
): PrintJobView {
  return {
    queue: queue.id,
    jobId: job.jobId,
    name: job.name,
    pages: job.pages,
    copies: job.copies,
    sides: job.sides,
    color: job.color,
    media: job.media,
    submittedAt: isoTime(job.submittedAt),
    expiresAt: isoTime(job.expiresAt),
    state: 'held',
    quote: patron === null ? null : workflow.quoteFor(patron, queue, job),
    problem: workflow.problemOf(queue, job),
    ...(staff ? { patron: job.patron, owner: job.owner } : {}),
  };
}

/**
 * A job past its hold time that the print server has not cancelled yet, as staff see it: expired,
 * being cancelled, with no price (it is never released, never charged).
 */
export function expiringView(view: PrintJobView): PrintJobView {
  return {
    ...view,
    state: 'expired',
    quote: null,
    problem: {
      code: 'print_job_expired',
      message:
        'past its hold time: Carrel has asked the print server to cancel it and asks again until it does; it cannot be released and nothing is charged',
    },
  };
}

/** Whether `patron` may see and release `job`: its own, or (release codes) the code typed matches. */
export function claims(
  queue: ReleaseQueue,
  job: HeldJob,
  patron: string,
  releaseCode: string | undefined,
): boolean {
  if (queue.releaseCodes) return releaseCode !== undefined && releaseCode !== '' && job.owner === releaseCode;
  return job.patron !== null && job.patron === patron;
}
