import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf } from '../../../simulators/print-server/sample-document.js';
import { systemClock } from '../../../src/core/clock.js';
import { IppClient } from '../../../src/devices/print-queue/ipp-client.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';
import { type Cups, cupsSkipReason, startCups } from '../../helpers/cups.js';
import { tempFolders } from '../../helpers/temp-folders.js';
import { until as poll } from '../../helpers/until.js';

const skip = cupsSkipReason();

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> =>
  poll(probe, ms, `timed out waiting for ${what}`, 100);

describe.skipIf(skip)('IppClient against a real CUPS (cupsd + ippeveprinter)', () => {
  let cups: Cups;
  let client: IppClient;
  let transport: IppHttpTransport;
  /** Made before the tests, not as the block is read: a skipped block (no CUPS) would leave it behind. */
  const tempFolder = tempFolders('carrel-docs-');
  let three: string;

  beforeAll(async () => {
    three = join(tempFolder(), 'three.pdf');
    writeFileSync(three, samplePdf({ pages: 3, title: 'Essay draft' }));
    cups = await startCups();
    transport = new IppHttpTransport({ url: cups.queueUrl, clock: systemClock });
    client = new IppClient(transport);
  }, 40_000);
  afterAll(async () => {
    transport?.close();
    await cups?.stop();
  });

  it('lists a job a PC printed as held, with its owner, name, copies and sides, and reads its document', async () => {
    const id = await cups.submit(three, '21234000000001', {
      title: 'Essay draft',
      copies: 2,
      sides: 'two-sided-long-edge',
    });
    const jobs = await client.jobs('not-completed');
    const job = jobs.find((j) => j.id === id);
    expect(job).toMatchObject({
      owner: '21234000000001',
      name: 'Essay draft',
      state: 'pending-held',
      copies: 2,
      sides: 'two-sided-long-edge',
    });
    const document = await client.document(id);
    expect(document.format).toBe('application/pdf');
    expect(Buffer.from(document.bytes).subarray(0, 5).toString()).toBe('%PDF-');
    expect(document.bytes.length).toBe(samplePdf({ pages: 3, title: 'Essay draft' }).length);
  });

  it('releases a held job, which the printer then completes', async () => {
    const id = await cups.submit(three, 'patron-release');
    expect((await client.job(id)).state).toBe('pending-held');
    await client.release(id);
    await until('the job to complete', async () => {
      const job = await client.job(id);
      return job.state === 'completed' ? job : undefined;
    });
  }, 30_000);

  it('cancels a held job', async () => {
    const id = await cups.submit(three, 'patron-cancel');
    await client.cancel(id);
    expect((await client.job(id)).state).toBe('canceled');
  });

  it('says a job the server does not know is not found', async () => {
    await expect(client.job(987654)).rejects.toMatchObject({ code: 'print_job_not_found' });
    await expect(client.release(987654)).rejects.toMatchObject({ code: 'print_job_not_found' });
  });

  it("reads the printer's state", async () => {
    const printer = await client.printer();
    expect(['idle', 'processing']).toContain(printer.state);
    expect(printer.accepting).toBe(true);
  });
});
