/**
 * A print queue's events. None names who printed: a job's owner is a login
 * that identifies a patron, so it stays inside the gateway (the station and
 * staff ask for it with their scopes).
 */
export interface PrintJobEvent {
  queue: string;
  jobId: number;
  state: string;
  pages: number | null;
  copies: number;
  impressionsCompleted: number | null;
}

export interface PrintQueueEventsMap {
  /** A job arrived and is held for release (its pages counted, or why they could not be). */
  'print.job_held': PrintJobEvent;
  /** A job's state or printed impressions changed, its end too (completed, cancelled, aborted) while the server still describes it. */
  'print.job_changed': PrintJobEvent;
  /** A held job was cancelled, unreleased, after the hold time; nothing was charged. */
  'print.job_expired': PrintJobEvent;
  /** A job is printing and has made no progress for the configured time. */
  'print.job_stuck': { queue: string; jobId: number; impressionsCompleted: number };
}

export const PRINT_QUEUE_EVENTS: ReadonlyArray<keyof PrintQueueEventsMap> = [
  'print.job_held',
  'print.job_changed',
  'print.job_expired',
  'print.job_stuck',
];
