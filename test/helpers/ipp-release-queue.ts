/**
 * A print queue as the release workflow is given it (`ReleaseQueue`), over IPP straight to the
 * simulated print server, without the desk's print-queue family around it: for the print accounts'
 * own tests, the processes they SIGKILL, and the print release bench (bench/print.ts). Queue
 * `public-bw`, no release codes, the printer's impressions trusted. Its held jobs are those the
 * print server holds as of the last `refresh()`, each the patron its owner is, with the pages
 * `pagesOf` says (the desk's page counter is not there); a job the print server no longer lists is
 * `gone`, as the family says of it.
 */
import type { IppClient, IppJob } from '../../src/devices/print-queue/ipp-client.js';
import type { HeldJob, ReleaseQueue } from '../../src/gateway/print-accounts/queue.js';
import type { Tariff } from '../../src/gateway/print-accounts/tariff.js';

export interface IppReleaseQueue {
  queue: ReleaseQueue;
  /** Reads the jobs the print server holds now: the queue's held jobs from then on. */
  refresh(): Promise<void>;
}

export function ippReleaseQueue(
  client: IppClient,
  tariff: Tariff,
  pagesOf: (job: IppJob) => number | null,
): IppReleaseQueue {
  let held: HeldJob[] = [];
  const queue: ReleaseQueue = {
    id: 'public-bw',
    tariff,
    releaseCodes: false,
    reconcile: 'impressions',
    maxImpressions: 1000,
    heldJobs: () => held,
    releaseBlocked: () => null,
    release: (jobId) => client.release(jobId),
    cancel: (jobId) => client.cancel(jobId),
    status: async (jobId) => {
      try {
        const job = await client.job(jobId);
        return { state: job.state, impressionsCompleted: job.impressionsCompleted };
      } catch (error) {
        if ((error as { code?: string }).code === 'print_job_not_found') return { state: 'gone' };
        throw error;
      }
    },
    thumbnail: async () => undefined,
  };
  return {
    queue,
    async refresh() {
      held = (await client.jobs('not-completed'))
        .filter((job) => job.state === 'pending-held')
        .map((job) => ({
          jobId: job.id,
          key: `public-bw/${job.id}@${job.createdAt}`,
          name: job.name,
          owner: job.owner,
          patron: job.owner,
          pages: pagesOf(job),
          pagesProblem: null,
          copies: job.copies,
          sides: job.sides,
          color: false,
          media: job.media,
          submittedAt: job.createdAt * 1000,
          expiresAt: job.createdAt * 1000 + 3_600_000,
        }));
    },
  };
}
