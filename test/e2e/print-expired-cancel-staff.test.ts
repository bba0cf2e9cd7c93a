/**
 * A job past its hold time whose Cancel-Job the print server has not taken yet (refused, and asked
 * again at every round) is still on the print server: staff see it in the held-jobs list, marked as
 * expired and being cancelled — never releasable, never priced — until the server has cancelled it.
 * The patron's station does not offer it. Over IPP to the simulated print server, the desk's HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import type { TestDesk } from '../helpers/desk.js';
import { heldAtStation } from '../helpers/print-desk.js';
import { printServer, refuseCancels, startShortHoldDesk } from '../helpers/print-expiry.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const patron = '21000001';

beforeAll(async () => {
  testDesk = await startShortHoldDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const api = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);
const server = () => printServer(testDesk);

interface ListedJob {
  queue: string;
  jobId: number;
  state: string;
  quote: unknown;
  problem: { code: string; message: string } | null;
  patron?: string | null;
}

describe('a job past its hold time the print server has not cancelled yet', () => {
  it('is listed for staff as expired and being cancelled, not releasable nor charged, until it is cancelled', async () => {
    let takeCancel = false;
    // The print server answers every Cancel-Job with an error (client-error-not-possible) until let.
    const refusal = refuseCancels(testDesk, () => !takeCancel);
    try {
      const { jobId, session } = await heldAtStation(testDesk.api, server(), '1234', {
        user: patron,
        title: 'Forgotten',
        pages: 2,
      });
      const balanceBefore = (await api('POST', '/print/accounts/find', { patron })).json.statement
        .balanceMinor;
      await until(
        () => (refusal.refused >= 2 ? true : undefined),
        20_000,
        'timed out waiting for the print server to refuse the cancel twice',
        100,
      );
      expect(server().job(jobId)?.state).toBe('pending-held');

      // Staff: still on the print server, so listed — as expired and being cancelled.
      const staffJobs = (await api('GET', '/print/jobs')).json.jobs as ListedJob[];
      const listed = staffJobs.find((j) => j.queue === 'public-bw' && j.jobId === jobId);
      expect(listed).toBeDefined();
      expect(listed?.state).toBe('expired');
      expect(listed?.quote).toBeNull();
      expect(listed?.problem?.code).toBe('print_job_expired');
      expect(listed?.problem?.message).toMatch(/hold time/);
      expect(listed?.problem?.message).toMatch(/cancel/);
      expect(listed?.patron).toBe(patron);
      // The patron's account as staff find it lists it the same way.
      const found = (await api('POST', '/print/accounts/find', { patron })).json;
      expect(found.jobs.find((j: ListedJob) => j.jobId === jobId)?.state).toBe('expired');

      // The station neither offers it nor releases it; nothing is charged.
      const { jobs } = (await api('POST', '/print/station/jobs', { session })).json;
      expect(jobs.map((j: ListedJob) => j.jobId)).not.toContain(jobId);
      const release = await api('POST', '/print/station/release', {
        session,
        requestId: crypto.randomUUID(),
        queue: 'public-bw',
        jobId,
      });
      expect(release.status).toBe(404);
      expect((await api('POST', '/print/accounts/find', { patron })).json.statement.balanceMinor).toBe(
        balanceBefore,
      );

      // Once the print server takes the cancel, the job leaves the staff list too.
      takeCancel = true;
      await until(
        () => (server().job(jobId)?.state === 'canceled' ? true : undefined),
        15_000,
        'timed out waiting for the job cancelled at the print server',
        100,
      );
      await until(
        async () => {
          const after = (await api('GET', '/print/jobs')).json.jobs as ListedJob[];
          return after.some((j) => j.jobId === jobId) ? undefined : true;
        },
        20_000,
        'timed out waiting for the job gone from the staff list',
        100,
      );
    } finally {
      refusal.restore();
    }
  }, 60_000);
});
