import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrintServerSimulator,
  startPrintServerSimulator,
} from '../../../simulators/print-server/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { IppClient, type IppJob } from '../../../src/devices/print-queue/ipp-client.js';
import { pageImagesAvailable } from '../../../src/devices/print-queue/page-image.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';
import { until as poll } from '../../helpers/until.js';

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> =>
  poll(probe, ms, `timed out waiting for ${what}`, 20);

describe('print server simulator, over IPP', () => {
  let server: PrintServerSimulator;
  let transport: IppHttpTransport;
  let client: IppClient;
  const finished = (id: number) => () =>
    client
      .job(id)
      .then((job) => (['completed', 'aborted', 'canceled'].includes(job.state) ? job : undefined));

  beforeAll(async () => {
    server = await startPrintServerSimulator({
      id: 'print-server',
      host: '127.0.0.1',
      port: 0,
      queues: ['public-bw', 'public-colour'],
      pageMs: 5,
      holdAll: true,
      logger: createLogger({ level: 'silent' }),
    });
    transport = new IppHttpTransport({ url: server.queueUrl('public-bw'), clock: systemClock });
    client = new IppClient(transport);
  });
  afterAll(async () => {
    transport.close();
    await server.close();
  });

  it('holds a job a PC sent, lists it with owner, name, copies and sides, and hands out its document', async () => {
    const id = await server.submit({
      user: 'pc-user-1',
      title: 'Essay',
      pages: 3,
      copies: 2,
      sides: 'two-sided-long-edge',
    });
    const job = (await client.jobs('not-completed')).find((j) => j.id === id);
    expect(job).toMatchObject({
      owner: 'pc-user-1',
      name: 'Essay',
      state: 'pending-held',
      copies: 2,
      sides: 'two-sided-long-edge',
      colorMode: 'monochrome',
      format: 'application/pdf',
    } satisfies Partial<IppJob>);
    const document = await client.document(id);
    expect(Buffer.from(document.bytes).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('prints a released job page by page and reports the impressions it completed', async () => {
    const id = await server.submit({ user: 'pc-user-2', pages: 4, copies: 2 });
    await client.release(id);
    const done = await until('the job to finish', finished(id));
    expect(done).toMatchObject({ state: 'completed', impressionsCompleted: 8 });
    await expect(client.release(id)).rejects.toMatchObject({ code: 'print_job_not_possible' });
  });

  it('keeps jobs of another queue out of this one', async () => {
    const id = await server.submit({ user: 'pc-user-3', queue: 'public-colour' });
    expect((await client.jobs('all')).some((j) => j.id === id)).toBe(false);
    await expect(client.job(id)).rejects.toMatchObject({ code: 'print_job_not_found' });
  });

  it('stops when the paper runs out and goes on when it is back', async () => {
    server.setFaults({ paperOut: true });
    const printer = await client.printer();
    expect(printer.reasons).toContain('media-empty-error');
    const id = await server.submit({ user: 'pc-user-4', pages: 2 });
    await client.release(id);
    expect((await client.job(id)).state).toBe('pending');
    server.setFaults({ paperOut: false });
    expect(await until('the job to finish', finished(id))).toMatchObject({
      state: 'completed',
      impressionsCompleted: 2,
    });
  });

  it('aborts a job part-way when told to, reporting what it printed', async () => {
    server.setFaults({ abortNextAfter: 3 });
    const id = await server.submit({ user: 'pc-user-5', pages: 10 });
    await client.release(id);
    expect(await until('the job to finish', finished(id))).toMatchObject({
      state: 'aborted',
      impressionsCompleted: 3,
    });
  });

  it('a slow server hands over documents late when told to, and at once again when told so', async () => {
    const id = await server.submit({ user: 'pc-user-8', pages: 1 });
    const set = await fetch(`${server.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documentDelayMs: 400 }),
    });
    expect(await set.json()).toMatchObject({ documentDelayMs: 400 });
    let started = performance.now();
    await client.document(id);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    server.setFaults({ documentDelayMs: 0 });
    started = performance.now();
    expect((await client.document(id)).bytes.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(390);
  });

  it('refuses the next Release-Job when told to, keeping the job held, and releases it when asked again', async () => {
    const id = await server.submit({ user: 'pc-user-9', pages: 1 });
    const set = await fetch(`${server.url}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refuseNextRelease: true }),
    });
    expect(await set.json()).toMatchObject({ refuseNextRelease: true });
    await expect(client.release(id)).rejects.toMatchObject({ code: 'print_job_not_possible' });
    // Refused, not deleted: still there, still held.
    expect(await client.job(id)).toMatchObject({ state: 'pending-held' });
    expect(server.model.faults.refuseNextRelease).toBe(false);
    await client.release(id);
    expect(await until('the job to finish', finished(id))).toMatchObject({ state: 'completed' });
  });

  it('reports a stopped printer and cancels a held job', async () => {
    server.setFaults({ stopped: true });
    expect((await client.printer()).state).toBe('stopped');
    server.setFaults({ stopped: false });
    const id = await server.submit({ user: 'pc-user-6' });
    await client.cancel(id);
    expect((await client.job(id)).state).toBe('canceled');
  });

  it.skipIf(!pageImagesAvailable())('shows the pages a job came out as, as pictures', async () => {
    const id = await server.submit({ user: 'pc-user-7', pages: 2, title: 'Picture' });
    await client.release(id);
    await until('the job to finish', finished(id));
    const res = await fetch(`${server.url}/api/jobs/${id}/pages/1.png`);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain(`/api/jobs/${id}/pages/2.png`);
  });

  it('answers IPP it cannot read with client-error-bad-request, not a crash', async () => {
    const res = await fetch(server.queueUrl('public-bw').replace('ipp:', 'http:'), {
      method: 'POST',
      headers: { 'content-type': 'application/ipp' },
      body: Buffer.from([1, 1, 0, 0x0a, 0, 0, 0, 1, 0x01, 0x47, 0xff]),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.readUInt16BE(2)).toBe(0x0400);
  });
});
