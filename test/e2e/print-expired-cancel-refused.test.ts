/**
 * A job held past the queue's hold time is cancelled at the print server, without charge. When the
 * print server does not take that Cancel-Job (it answered an error: the server busy, a policy), the
 * job is not forgotten: it is asked again until the server has cancelled it, and nobody can release
 * it meanwhile. Over IPP to the simulated print server, the desk's HTTP API as the station uses it.
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

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);
const server = () => printServer(testDesk);

describe('a held job past its hold time whose Cancel-Job the print server refused', () => {
  it('is cancelled when the print server takes it, and cannot be released meanwhile', async () => {
    // The print server answers the first Cancel-Job for the job with an error (client-error-not-possible).
    const refusal = refuseCancels(testDesk, (refused) => refused === 0);
    try {
      const { jobId, session } = await heldAtStation(testDesk.api, server(), '1234', {
        user: patron,
        title: 'Forgotten',
        pages: 2,
      });
      await until(
        () => (refusal.refused > 0 ? true : undefined),
        20_000,
        'timed out waiting for the expiry to ask the print server to cancel it',
        100,
      );
      // Past its hold time, the station does not list it, nor release it.
      const { jobs } = (await post('/print/station/jobs', { session })).json;
      expect(jobs.map((j: { jobId: number }) => j.jobId)).not.toContain(jobId);
      const release = await post('/print/station/release', {
        session,
        requestId: crypto.randomUUID(),
        queue: 'public-bw',
        jobId,
      });
      expect(release.status).toBe(404);
      // It stayed held at the print server for good: Carrel took the job as cancelled and never asked again.
      await until(
        () => (server().job(jobId)?.state === 'canceled' ? true : undefined),
        15_000,
        'timed out waiting for the job cancelled at the print server',
        100,
      );
    } finally {
      refusal.restore();
    }
  }, 45_000);
});
