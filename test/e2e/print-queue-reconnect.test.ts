import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import {
  type PrintServerSimulator,
  startPrintServerSimulator,
} from '../../simulators/print-server/simulator.js';
import { silentLogger } from '../../src/core/logger.js';
import { callApi } from '../helpers/api-call.js';
import { printQueueAt, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';
let testDesk: TestDesk;
let proxy: StallingProxy;
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const listedJobIds = async () =>
  ((await callApi(testDesk.api, 'GET', '/api/v1/print/jobs')).json.jobs as Array<{ jobId: number }>).map(
    (job) => job.jobId,
  );

/**
 * The print server drops off the network (its host unplugged: IPP requests get no answer) and comes
 * back; meanwhile someone deleted a held job there, and another waits to be printed. Real IPP over TCP through a proxy that stalls.
 */
describe('a print queue whose server comes back', () => {
  beforeAll(async () => {
    // The print server simulator takes a port of the system's choosing as the desk starts (one found
    // free beforehand may be taken by another test's process first); the proxy, which the desk is
    // told to dial, is pointed at it once it listens.
    proxy = await StallingProxy.start();
    testDesk = await startTestDesk((config) =>
      printQueueAt(
        {
          ...config,
          simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, port: 0 } : s)),
        },
        `ipp://127.0.0.1:${proxy.port}/printers/public-bw`,
      ),
    );
    proxy.pointAt(testDesk.desk.simulators.address('print-server').port);
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await testDesk?.stop();
    await proxy?.close();
  });

  it('no longer lists the job deleted there meanwhile, and counts again the one still held, which prints', async () => {
    const deleted = await server().submit({ user: PATRON, title: 'Deleted meanwhile', pages: 1 });
    const kept = await server().submit({ user: PATRON, title: 'Still held', pages: 1 });
    await until(
      async () =>
        (await listedJobIds()).includes(deleted) && (await listedJobIds()).includes(kept) ? true : undefined,
      20_000,
      'the jobs were never listed',
      50,
    );
    proxy.stall();
    await waitForDevice(testDesk.api, 'public-bw', 'offline', 20_000);
    server().model.cancel(deleted);
    proxy.resume();
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
    // It was listed for good: the patron saw it at the station, and Print charged and refunded it.
    await until(
      async () => (!(await listedJobIds()).includes(deleted) ? true : undefined),
      10_000,
      'the job deleted at the print server is still listed',
      100,
    );
    expect(await listedJobIds()).toContain(kept);
    // The job still held is counted again and can be printed: it said 'the pages cannot be counted:
    // the print server of queue "public-bw" cannot be reached' until it expired.
    const again = await until(
      async () =>
        (
          (await callApi(testDesk.api, 'GET', '/api/v1/print/jobs')).json.jobs as Array<{
            jobId: number;
            pages: number | null;
            problem: { code: string } | null;
          }>
        ).find((j) => j.jobId === kept && j.pages !== null),
      20_000,
      'the job still held was never counted again',
      100,
    ).catch(async (error: Error) => {
      const jobs = (await callApi(testDesk.api, 'GET', '/api/v1/print/jobs')).json.jobs;
      throw new Error(`${error.message}: ${JSON.stringify(jobs)}`);
    });
    expect(again).toMatchObject({ pages: 1, problem: null });
    await callApi(testDesk.api, 'POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const { session } = (
      await callApi(testDesk.api, 'POST', '/api/v1/print/station/login', { patron: PATRON, pin: '1234' })
    ).json;
    const printed = await callApi(testDesk.api, 'POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId: kept,
    });
    expect(printed.status).toBe(200);
  }, 60_000);
});

/** Carrel (re)started while jobs wait at the print server: they are counted and can be printed. */
describe('a print queue with jobs already held when Carrel starts', () => {
  let desk: TestDesk | undefined;
  let external: PrintServerSimulator | undefined;

  afterAll(async () => {
    await desk?.stop();
    await external?.close();
  });

  it('counts their pages, so they can be printed', async () => {
    external = await startPrintServerSimulator({
      id: 'print-server-before',
      host: '127.0.0.1',
      port: 0,
      queues: ['public-bw'],
      pageMs: 10,
      holdAll: true,
      logger: silentLogger(),
    });
    const jobId = await external.submit({ user: PATRON, title: 'Waiting overnight', pages: 2 });
    const started = await startTestDesk((config) => printQueueAt(config, external!.queueUrl('public-bw')));
    desk = started;
    await waitForDevice(started.api, 'public-bw', 'online', 30_000);
    // It said 'the pages cannot be counted: the print server of queue "public-bw" cannot be reached'
    // until it expired.
    const job = await until(
      async () =>
        (
          (await callApi(started.api, 'GET', '/api/v1/print/jobs')).json.jobs as Array<{
            jobId: number;
            pages: number | null;
            problem: { code: string } | null;
          }>
        ).find(
          (j) => j.jobId === jobId && (j.pages !== null || j.problem?.code === 'print_queue_unavailable'),
        ),
      20_000,
      'the job waiting at start was never counted',
      100,
    );
    expect(job).toMatchObject({ pages: 2, problem: null });
  }, 60_000);
});
