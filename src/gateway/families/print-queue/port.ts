import type { ReleaseQueue } from '../../print-accounts/queue.js';

/** A print queue as IT staff and the dashboard see it. */
export interface PrintQueueStatusView {
  queue: string;
  name: string | null;
  printer: { state: string; reasons: string[]; message: string } | null;
  /** Why nothing can be released now; null when jobs can be. */
  releaseBlocked: { code: string; message: string } | null;
  /** Jobs held at the print server: those past their hold time it has not cancelled yet too. */
  heldJobs: number;
  /** Of them, past their hold time (never releasable; their Cancel-Job asked again each round). */
  expiredHeldJobs: number;
  color: boolean;
  holdHours: number;
}

/** What workflows and the API may ask of a print queue: the release workflow's needs, and its status. */
export interface PrintQueuePort extends ReleaseQueue {
  status(jobId: number): ReturnType<ReleaseQueue['status']>;
  queueStatus(): PrintQueueStatusView;
}
