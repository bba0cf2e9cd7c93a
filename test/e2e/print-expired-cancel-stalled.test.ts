/**
 * Jobs past their hold time whose Cancel-Job the print server never answers (it hangs on it rather
 * than refusing it): the rest of the queue's work goes on — another patron's jobs are listed,
 * counted and released — nothing is charged for the expired jobs, and their cancel is asked again
 * later, so they are cancelled once the print server answers. Over IPP to the simulated print server
 * (its stallCancel fault), the desk's HTTP API as the station and the desk use it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import type { TestDesk } from '../helpers/desk.js';
import { countedAtStation, releaseAtStation, stationLogin } from '../helpers/print-desk.js';
import { printServer, startShortHoldDesk } from '../helpers/print-expiry.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const forgetful = '21000001';
const other = { patron: '21000002', pin: '2222' };

beforeAll(async () => {
  testDesk = await startShortHoldDesk();
}, 30_000);

afterAll(async () => {
  printServer(testDesk)?.setFaults({ stallCancel: false });
  await testDesk?.stop();
});

const api = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);
const server = () => printServer(testDesk);
const balanceOf = async (patron: string) =>
  (await api('POST', '/print/accounts/find', { patron })).json.statement.balanceMinor as number;

describe('jobs past their hold time whose Cancel-Job the print server never answers', () => {
  it('do not hold up the queue nor cost anything, and are cancelled once the server answers again', async () => {
    // Three forgotten jobs: a patron printed them and walked away.
    const forgotten = [
      await server().submit({ user: forgetful, title: 'Forgotten 1', pages: 1 }),
      await server().submit({ user: forgetful, title: 'Forgotten 2', pages: 1 }),
      await server().submit({ user: forgetful, title: 'Forgotten 3', pages: 1 }),
    ];
    const forgetfulBalance = await balanceOf(forgetful);
    server().setFaults({ stallCancel: true });
    await until(
      () => (server().model.cancelsStalled > 0 ? true : undefined),
      20_000,
      'timed out waiting for a Cancel-Job of the expired jobs',
      100,
    );
    // Let the expiry go round a few times while the print server does not answer.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Another patron prints now: the job is listed and counted, and released, in a patron's time.
    expect(
      (
        await api('POST', '/print/accounts/deposit', {
          requestId: randomUUID(),
          patron: other.patron,
          amountMinor: 200,
          currency: 'EUR',
          source: 'cash-desk',
        })
      ).status,
    ).toBe(201);
    const jobId = await server().submit({ user: other.patron, title: 'Homework', pages: 1 });
    const session = await stationLogin(testDesk.api, other.patron, other.pin);
    const started = performance.now();
    // Listed with its pages within 5 s while the cancels hang.
    await countedAtStation(testDesk.api, session, jobId, { timeoutMs: 5_000 });
    const release = await releaseAtStation(testDesk.api, session, jobId);
    expect(release.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(6_000);
    await until(
      () => (server().job(jobId)?.state === 'completed' ? true : undefined),
      10_000,
      'timed out waiting for the other patron’s job printed',
      100,
    );

    // The expired jobs: still held at the server, not offered, nothing charged.
    for (const id of forgotten) expect(server().job(id)?.state).toBe('pending-held');
    expect(await balanceOf(forgetful)).toBe(forgetfulBalance);
    const queue = (await api('GET', '/print/queues')).json.queues.find(
      (q: { queue: string }) => q.queue === 'public-bw',
    );
    expect(queue.expiredHeldJobs).toBe(3);
    expect(queue.releaseBlocked).toBeNull();

    // A Cancel-Job left unanswered is given up (the desk's IPP timeout, 10 s) and asked again later.
    await until(
      () => (server().model.cancelsStalled >= 2 ? true : undefined),
      25_000,
      'timed out waiting for the unanswered Cancel-Job asked again',
      100,
    );
    for (const id of forgotten) expect(server().job(id)?.state).toBe('pending-held');

    // The print server answers again: the cancels asked again go through; still nothing charged.
    server().setFaults({ stallCancel: false });
    await until(
      () => (forgotten.every((id) => server().job(id)?.state === 'canceled') ? true : undefined),
      20_000,
      'timed out waiting for the expired jobs cancelled at the print server',
      100,
    );
    await until(
      async () => {
        const jobs = (await api('GET', '/print/jobs')).json.jobs as { jobId: number }[];
        return jobs.some((j) => forgotten.includes(j.jobId)) ? undefined : true;
      },
      20_000,
      'timed out waiting for the expired jobs gone from the staff list',
      100,
    );
    expect(await balanceOf(forgetful)).toBe(forgetfulBalance);
  }, 90_000);
});
