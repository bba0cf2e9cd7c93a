/**
 * What the release workflow needs of one print queue (the print-queue
 * family's port offers it): its held jobs as Carrel knows them (pages counted,
 * owner mapped to a patron), and the three IPP acts on a job.
 */
import type { Tariff } from './tariff.js';

export interface HeldJob {
  jobId: number;
  /** Unique per server job: queue, id and creation time. */
  key: string;
  name: string;
  /** The login the PC sent (job-originating-user-name). Patron-identifying. */
  owner: string;
  /** The patron the owner maps to; null when the owner maps to nobody. */
  patron: string | null;
  pages: number | null;
  /** Why the pages are not known (a broken or locked document), with its code. */
  pagesProblem: { code: string; message: string } | null;
  copies: number;
  sides: string;
  color: boolean;
  media: string;
  submittedAt: number;
  expiresAt: number;
}

export type ServerJobState =
  | {
      state:
        | 'pending-held'
        | 'pending'
        | 'processing'
        | 'processing-stopped'
        | 'canceled'
        | 'aborted'
        | 'completed';
      impressionsCompleted: number | undefined;
    }
  | { state: 'gone' };

export interface ReleaseQueue {
  readonly id: string;
  readonly tariff: Tariff;
  /** A release-code rule: the station asks for a code, not the patron's own login. */
  readonly releaseCodes: boolean;
  /** A job of more impressions than this is not released (a 10,000-page mistake). */
  readonly maxImpressions: number;
  /** Whether a completed job's reported impressions are the printer's (refund what it did not print) or not to be trusted. */
  readonly reconcile: 'impressions' | 'job-state';
  heldJobs(): HeldJob[];
  /**
   * Jobs past their hold time still on the print server: Carrel asked it to cancel them and it has
   * not yet (it refused or did not answer; asked again each round). Never released, never charged;
   * staff see them, as they are still there.
   */
  expiringJobs?(): HeldJob[];
  /** Why nothing can be released now (printer stopped, out of paper, server unreachable); null when it can. */
  releaseBlocked(): { code: string; message: string } | null;
  release(jobId: number): Promise<void>;
  cancel(jobId: number): Promise<void>;
  status(jobId: number): Promise<ServerJobState>;
  thumbnail(jobId: number): Promise<Buffer | undefined>;
}
