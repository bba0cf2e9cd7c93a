import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf } from '../../simulators/print-server/sample-document.js';
import { systemClock } from '../../src/core/clock.js';
import { IppClient } from '../../src/devices/print-queue/ipp-client.js';
import { IppHttpTransport } from '../../src/devices/transport/ipp-http.js';
import { jsonApi } from '../helpers/api-call.js';
import { type Cups, cupsSkipReason, deskWithCupsQueue, startCups } from '../helpers/cups.js';
import type { TestDesk } from '../helpers/desk.js';
import { countedAtStation, stationLogin } from '../helpers/print-desk.js';
import { tempFolders } from '../helpers/temp-folders.js';
import { until as poll } from '../helpers/until.js';

const skip = cupsSkipReason();
const PATRON = '21000001';

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> =>
  poll(probe, ms, `timed out waiting for ${what}`, 100);

/**
 * The print-queue device against a real CUPS (cupsd holding jobs for
 * ippeveprinter): a job printed with `lp` by the patron's login is held, its
 * pages counted from its document (fetched with CUPS-Get-Document), released
 * at the station and charged, and completed by the printer; a job left held
 * past the hold time is cancelled at CUPS without charge.
 */
describe.skipIf(skip)('a print queue on a real CUPS', () => {
  let cups: Cups;
  let testDesk: TestDesk;
  let client: IppClient;
  /** Made in a test, not as the block is read: a skipped block (no CUPS) would leave it behind. */
  const tempFolder = tempFolders('carrel-cups-docs-');
  const call = jsonApi(() => testDesk.api);
  const post = (path: string, body: unknown) => call('POST', path, body);

  beforeAll(async () => {
    cups = await startCups();
    client = new IppClient(new IppHttpTransport({ url: cups.queueUrl, clock: systemClock }));
    testDesk = await deskWithCupsQueue(cups, {
      holdHours: 0.002,
      // The test queue is raw (the PDF goes to ippeveprinter as it is), and CUPS reports one
      // impression for a raw job whatever its pages: its count is not the printer's.
      reconcile: 'job-state',
    });
    const deposit = await post('/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 1000,
      currency: 'EUR',
    });
    expect(deposit.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await testDesk?.stop();
    await cups?.stop();
  });

  it('holds, counts, releases, charges and completes a job printed with lp', async () => {
    const file = join(tempFolder(), 'four.pdf');
    writeFileSync(file, samplePdf({ pages: 4, title: 'Thesis' }));
    const jobId = await cups.submit(file, PATRON, { title: 'Thesis' });
    const session = await stationLogin(testDesk.api, PATRON, '1234');
    const job = await countedAtStation(testDesk.api, session, jobId, { queue: 'cups-bw' });
    expect(job).toMatchObject({ pages: 4, quote: { amountMinor: 40 } });
    const released = await post('/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'cups-bw',
      jobId,
    });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({
      release: { state: 'released', amountMinor: 40 },
      balance: { balanceMinor: 960 },
    });
    await until('CUPS to complete the job', async () =>
      (await client.job(jobId)).state === 'completed' ? true : undefined,
    );
    const settled = await until('the release to be settled', async () => {
      const { body } = await post('/api/v1/print/accounts/find', { patron: PATRON });
      const release = (body.releases as Array<{ jobId: number; state: string }>).find(
        (r) => r.jobId === jobId,
      );
      return release?.state === 'completed' ? release : undefined;
    });
    expect(settled).toMatchObject({ state: 'completed', refundedMinor: 0, printedImpressions: 4 });
  }, 60_000);

  it('cancels a job left held past the hold time, charging nothing', async () => {
    const file = join(tempFolder(), 'one.pdf');
    writeFileSync(file, samplePdf({ pages: 1 }));
    const before = (
      (await post('/api/v1/print/accounts/find', { patron: PATRON })).body.statement as {
        balanceMinor: number;
      }
    ).balanceMinor;
    const jobId = await cups.submit(file, PATRON, { title: 'Forgotten' });
    await until('CUPS to cancel the expired job', async () =>
      (await client.job(jobId)).state === 'canceled' ? true : undefined,
    );
    const { body } = await post('/api/v1/print/accounts/find', { patron: PATRON });
    expect((body.releases as Array<{ jobId: number }>).some((r) => r.jobId === jobId)).toBe(false);
    expect((body.statement as { balanceMinor: number }).balanceMinor).toBe(before);
  }, 60_000);
});
