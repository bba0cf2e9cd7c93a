import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { jsonApi } from '../helpers/api-call.js';
import { printQueueAt, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation } from '../helpers/print-desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until as pollUntil } from '../helpers/until.js';

/**
 * The print server goes away in the middle of a release: the charge is
 * committed, Release-Job gets no answer (the server hangs behind a proxy, as a
 * CUPS host that dropped off the network does), and the station is told the
 * release will be completed or refunded. When the server answers again the
 * release is settled: printed and charged once if the job was still there, or
 * refunded in full if the job was cancelled at the server meanwhile. Real IPP
 * over TCP; the patron's balance checked at each step.
 */
const PATRON = '21000001';
let testDesk: TestDesk;
let api: string;
let proxy: StallingProxy;

const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const call = jsonApi(() => api);

/** Waits for `what` (bounded polling), every 50 ms. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000) =>
  pollUntil(probe, ms, `timed out waiting for ${what}`, 50);

const balance = async () =>
  (
    await call<{ statement: { balanceMinor: number } }>('POST', '/api/v1/print/accounts/find', {
      patron: PATRON,
    })
  ).body.statement.balanceMinor;

interface Release {
  id: string;
  state: string;
  amountMinor: number;
  refundedMinor: number;
}

interface ReleaseRequest {
  session: string;
  requestId: string;
  queue: string;
  jobId: number;
}

async function releaseWhileTheServerIsAway(
  pages: number,
): Promise<{ jobId: number; release: Release; request: ReleaseRequest }> {
  const { jobId, session } = await heldAtStation(api, server(), '1234', {
    user: PATRON,
    title: 'Lost',
    pages,
  });
  proxy.stall();
  const request = { session, requestId: randomUUID(), queue: 'public-bw', jobId };
  const answer = await call<{ code: string }>('POST', '/api/v1/print/station/release', request);
  expect(answer).toMatchObject({ status: 202, body: { code: 'print_release_pending' } });
  const releases = (
    await call<{ releases: Array<Release & { jobId: number }> }>('GET', '/api/v1/print/releases')
  ).body.releases;
  const release = releases.find((r) => r.jobId === jobId);
  expect(release).toMatchObject({ state: 'charged', amountMinor: pages * 10 });
  return { jobId, release: release!, request };
}

async function settled(id: string): Promise<Release> {
  return until('the release settled', async () => {
    const { body } = await call<{ releases: Release[] }>('GET', '/api/v1/print/releases');
    const found = body.releases.find((r) => r.id === id);
    return found && (found.state === 'completed' || found.state === 'refunded') ? found : undefined;
  });
}

describe('a print server that goes away in the middle of a release', () => {
  beforeAll(async () => {
    // The print server simulator takes a port of the system's choosing as the desk starts (one found
    // free beforehand may be taken by another test's process first); the proxy, which the desk is
    // told to dial, is pointed at it once it listens.
    proxy = await StallingProxy.start();
    testDesk = await startTestDesk((config) =>
      printQueueAt(
        {
          ...config,
          simulators: config.simulators.map((s) =>
            s.kind === 'print-server' ? { ...s, port: 0, pageMs: 5 } : s,
          ),
        },
        `ipp://127.0.0.1:${proxy.port}/printers/public-bw`,
      ),
    );
    proxy.pointAt(testDesk.desk.simulators.address('print-server').port);
    api = testDesk.api;
    // Generous: each IPP request may take 1 s before it counts as lost, and a CI machine is busy.
    await waitForDevice(api, 'public-bw', 'online', 30_000);
    const deposit = await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 1000,
      currency: 'EUR',
    });
    expect(deposit.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await testDesk?.stop();
    await proxy?.close();
  });

  it('prints and charges once a job still there when the server is back', async () => {
    const before = await balance();
    const { jobId, release, request } = await releaseWhileTheServerIsAway(3);
    expect(await balance()).toBe(before - 30);
    proxy.resume();
    const done = await settled(release.id);
    expect(done).toMatchObject({ state: 'completed', refundedMinor: 0 });
    await until('the job printed', async () =>
      server().job(jobId)?.state === 'completed' ? true : undefined,
    );
    expect(server().job(jobId)?.impressionsCompleted).toBe(3);
    expect(await balance()).toBe(before - 30);
    // The station sends the pending release again: it printed, charged once.
    const again = await call<{ release: Release }>('POST', '/api/v1/print/station/release', request);
    expect(again).toMatchObject({ status: 200, body: { release: { id: release.id, state: 'completed' } } });
    expect(await balance()).toBe(before - 30);
  }, 40_000);

  it('refuses a staff refund while it is not known whether the job printed: the job prints, charged once, never printed and refunded', async () => {
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    const before = await balance();
    const { jobId, release } = await releaseWhileTheServerIsAway(4);
    // The patron at the desk: "I paid and nothing came out". The print server has not said.
    const refund = await call<{ code: string; detail?: string; message?: string }>(
      'POST',
      '/api/v1/print/releases/refund',
      { requestId: randomUUID(), releaseId: release.id, reason: 'nothing came out' },
    );
    expect(refund.status).toBe(409);
    expect(refund.body.code).toBe('print_release_outcome_unknown');
    expect(JSON.stringify(refund.body)).toMatch(/nothing was refunded/);
    expect(await balance()).toBe(before - 40);
    proxy.resume();
    const done = await settled(release.id);
    expect(done).toMatchObject({ state: 'completed', refundedMinor: 0 });
    await until('the job printed', async () =>
      server().job(jobId)?.state === 'completed' ? true : undefined,
    );
    expect(server().job(jobId)?.impressionsCompleted).toBe(4);
    // Printed and paid for once; a refund now is staff's to make, with the outcome known.
    expect(await balance()).toBe(before - 40);
  }, 40_000);

  it("answers the station's Print sent again while the server is still away as pending, charged, not as a queue that cannot be reached and nothing charged", async () => {
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    const before = await balance();
    const { jobId, release, request } = await releaseWhileTheServerIsAway(2);
    // The desk has found the print server gone by the time the station sends Print again.
    await until('the desk to find the print server gone', async () => {
      const { body } = await call<{ status: string }>('GET', '/api/v1/devices/public-bw');
      return body.status === 'online' ? undefined : true;
    });
    const again = await call<{ code: string }>('POST', '/api/v1/print/station/release', request);
    // It said 503 print_queue_unavailable, which the station reads as "not printed, and nothing was
    // charged", of a job charged 0.20 EUR that prints once the server is back.
    expect(again).toMatchObject({ status: 202, body: { code: 'print_release_pending' } });
    expect(await balance()).toBe(before - 20);
    proxy.resume();
    expect(await settled(release.id)).toMatchObject({ state: 'completed', refundedMinor: 0 });
    await until('the job printed', async () =>
      server().job(jobId)?.state === 'completed' ? true : undefined,
    );
    expect(await balance()).toBe(before - 20);
  }, 60_000);

  it("pays nothing out while a release's outcome is not known, naming the job, and pays out all once it is refunded", async () => {
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    const before = await balance();
    const { jobId, release } = await releaseWhileTheServerIsAway(3);
    // The patron closes the account while the print server has not said whether the job printed.
    const payout = (requestId: string, amountMinor: number) =>
      call<{ code: string; detail: string; releaseId: string; inDoubtMinor: number }>(
        'POST',
        '/api/v1/print/accounts/payout',
        { requestId, patron: PATRON, amountMinor },
      );
    const requestId = randomUUID();
    const refused = await payout(requestId, before - 30);
    // It paid out the balance (before − 0.30): the job, cancelled at the print server, was then
    // refunded 0.30 EUR onto an account the patron had been told was empty.
    expect(refused).toMatchObject({
      status: 409,
      body: { code: 'print_release_unsettled', releaseId: release.id, inDoubtMinor: 30 },
    });
    expect(refused.body.detail).toContain('“Lost”');
    expect(refused.body.detail).toContain('0.30 EUR');
    expect(refused.body.detail).toContain('nothing was paid out');
    expect(await balance()).toBe(before - 30);
    server().model.cancel(jobId);
    proxy.resume();
    expect(await settled(release.id)).toMatchObject({ state: 'refunded', refundedMinor: 30 });
    // The same press again (its request id) once the job is refunded: the whole balance, once.
    const paid = await payout(requestId, before);
    expect(paid).toMatchObject({ status: 200, body: { kind: 'payout', amountMinor: -before } });
    expect(await balance()).toBe(0);
    expect((await payout(requestId, before)).status).toBe(200);
    expect(await balance()).toBe(0);
    const topUp = await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: before,
      currency: 'EUR',
    });
    expect(topUp.status).toBe(201);
  }, 40_000);

  it('refunds in full a job cancelled at the server while it was away', async () => {
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    const before = await balance();
    const { jobId, release, request } = await releaseWhileTheServerIsAway(2);
    expect(await balance()).toBe(before - 20);
    server().model.cancel(jobId);
    proxy.resume();
    const done = await settled(release.id);
    expect(done).toMatchObject({ state: 'refunded', refundedMinor: 20 });
    expect(server().job(jobId)?.impressionsCompleted ?? 0).toBe(0);
    expect(await balance()).toBe(before);
    // The station sends the pending release again: it was answered 200 with the refunded release,
    // which a station reads as 'printing'; it is refused, as a release the print server refused is.
    const again = await call<{ code: string; jobStillWaiting: boolean }>(
      'POST',
      '/api/v1/print/station/release',
      request,
    );
    expect(again).toMatchObject({
      status: 409,
      body: { code: 'print_release_refused', jobStillWaiting: false },
    });
    expect(await balance()).toBe(before);
  }, 40_000);
});
