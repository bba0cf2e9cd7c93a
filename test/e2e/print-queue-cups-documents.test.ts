import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf } from '../../simulators/print-server/sample-document.js';
import { jsonApi } from '../helpers/api-call.js';
import { type Cups, cupsSkipReason, deskWithCupsQueue, startCups } from '../helpers/cups.js';
import type { Json, TestDesk } from '../helpers/desk.js';
import { stationLogin } from '../helpers/print-desk.js';
import { tempFolders } from '../helpers/temp-folders.js';

const skip = cupsSkipReason();
const PATRON = '21000001';

/**
 * A real CUPS whose policy keeps CUPS-Get-Document to the job's owner and its administrators, as
 * CUPS's default policy does, and a desk that logs in as neither: cupsd answers the desk's request
 * for a held job's document with HTTP 401, not an IPP status. What desk staff and the patron rely
 * on: the job is said to be unprintable here and why, at once, and a release charges nothing —
 * not 'its pages are still being counted. Wait a moment, then press Print again' for hours.
 */
describe.skipIf(skip)('a held job whose document a real CUPS will not give the desk', () => {
  let cups: Cups;
  let testDesk: TestDesk;
  /** Made in a test, not as the block is read: a skipped block (no CUPS) would leave it behind. */
  const tempFolder = tempFolders('carrel-cups-owner-docs-');
  const call = jsonApi(() => testDesk.api);
  const post = (path: string, body: unknown) => call<Json>('POST', path, body);

  beforeAll(async () => {
    cups = await startCups({ ownerDocuments: true });
    testDesk = await deskWithCupsQueue(cups);
  }, 60_000);

  afterAll(async () => {
    await testDesk?.stop();
    await cups?.stop();
  });

  it('lists the job as refused by the print server, and a release charges nothing', async () => {
    const file = join(tempFolder(), 'two.pdf');
    writeFileSync(file, samplePdf({ pages: 2, title: 'Thesis' }));
    const jobId = await cups.submit(file, PATRON, { title: 'Thesis' });
    const session = await stationLogin(testDesk.api, PATRON, '1234');
    const listed = async () =>
      (await post('/api/v1/print/station/jobs', { session })).body.jobs.find(
        (j: { queue: string; jobId: number }) => j.queue === 'cups-bw' && j.jobId === jobId,
      )?.problem;
    // Polled every 200 ms: well within 5 s the document was asked for, and refused, several times.
    await expect.poll(listed, { timeout: 5_000 }).toMatchObject({ code: 'ipp_not_authorized' });
    expect((await listed()).message).toMatch(/would not give the desk this job’s document/);
    const release = await post('/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'cups-bw',
      jobId,
    });
    expect(release).toMatchObject({ status: 502, body: { code: 'ipp_not_authorized' } });
    const { body } = await post('/api/v1/print/accounts/find', { patron: PATRON });
    expect(body.releases.some((r: { jobId: number }) => r.jobId === jobId)).toBe(false);
  }, 30_000);
});
