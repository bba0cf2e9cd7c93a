/**
 * A release refunded in full at the desk while the printer is still printing it (the patron
 * complains as the pages come out): the refund is made once, the rest of the job is cancelled at
 * the print server (refunded, its pages not printed yet would come out for nothing), and when the
 * printer ends the job the release still says how it ended — the pages printed and the outcome — so
 * that "where is my job?" reads "Printed in part, refunded", not "Not printed, refunded" for pages
 * the patron holds. Nothing more is refunded. Over HTTP, IPP and SIP2 on the simulated desk.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { slowPrinting, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const patron = '21000001';

beforeAll(async () => {
  testDesk = await startTestDesk(slowPrinting);
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

/** Polls `probe` every 50 ms for up to 15 s. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  until(probe, 15_000, `timed out waiting for ${what}`, 50);

describe('a release refunded in full while it prints', () => {
  it('is refunded once and still records how the printer ended it', async () => {
    expect(
      (
        await post('/print/accounts/deposit', {
          requestId: randomUUID(),
          patron,
          amountMinor: 500,
          currency: 'EUR',
        })
      ).status,
    ).toBe(201);
    const server = testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const { jobId, session } = await heldAtStation(testDesk.api, server, '1234', {
      user: patron,
      title: 'Thesis',
      pages: 8,
    });
    const released = await releaseAtStation(testDesk.api, session, jobId);
    expect(released.status).toBe(200);
    const release = released.json.release;
    expect(release.amountMinor).toBe(80);

    // At the desk while the pages come out (8 pages at 150 ms each).
    const refunded = await post('/print/releases/refund', {
      requestId: randomUUID(),
      releaseId: release.id,
      reason: 'toner streaks',
    });
    expect(refunded.status).toBe(200);
    expect(refunded.json).toMatchObject({ refundedMinor: 80, state: 'refunded', printedImpressions: null });

    // The rest of the job is cancelled with the refund: it printed all 8 pages, 8 paid by nobody.
    await waitFor('the printer to end the job', async () =>
      ['completed', 'canceled'].includes(server.job(jobId)?.state ?? '') ? true : undefined,
    );
    expect(server.job(jobId)?.state, 'refunded while the pages came out').toBe('canceled');
    const printed = server.job(jobId)!.impressionsCompleted;
    expect(printed).toBeLessThan(8);
    // The desk follows open releases every 2 s: what it says of the release once it has heard.
    const deadline = performance.now() + 6_000;
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    let settled: { account: any; now: any };
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const account = (await post('/print/accounts/find', { patron })).json;
      settled = { account, now: account.releases.find((r: { id: string }) => r.id === release.id) };
    } while (settled.now.outcome === null && performance.now() < deadline);
    // It stayed printedImpressions null, outcome null: the printer's end was dropped.
    expect(settled.now).toMatchObject({
      state: 'refunded',
      amountMinor: 80,
      refundedMinor: 80,
      printedImpressions: printed,
    });
    expect(settled.now.outcome).toContain(`cancelled at the print server after ${printed} of 8 pages`);
    // One charge, one refund: nothing refunded twice.
    const entries = settled.account.statement.entries.filter(
      (e: { releaseId: string | null }) => e.releaseId === release.id,
    );
    expect(entries.map((e: { kind: string; amountMinor: number }) => [e.kind, e.amountMinor])).toEqual([
      ['refund', 80],
      ['charge', -80],
    ]);
    expect(settled.account.statement.balanceMinor).toBe(500);
  });
});
