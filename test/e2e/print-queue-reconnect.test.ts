import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import {
  type PrintServerSimulator,
  startPrintServerSimulator,
} from '../../simulators/print-server/simulator.js';
import { type Clock, systemClock, type TimerHandle } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { callApi } from '../helpers/api-call.js';
import { printQueueAt, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { releaseAtStation, stationLogin } from '../helpers/print-desk.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';
let testDesk: TestDesk;
let proxy: StallingProxy;

/** The system's clock, telling which of the desk's intervals are running now (by their names). */
function intervalsWatched(): Clock & { running(): string[] } {
  const running = new Map<TimerHandle, string>();
  return {
    ...systemClock,
    setInterval(name, callback, ms) {
      const timer = systemClock.setInterval(name, callback, ms);
      const handle: TimerHandle = {
        name,
        cancel: () => {
          running.delete(handle);
          timer.cancel();
        },
      };
      running.set(handle, name);
      return handle;
    },
    running: () => [...running.values()],
  };
}
const clock = intervalsWatched();
const EXPIRY_ROUND = 'print-queue-expiry:public-bw';
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
    testDesk = await startTestDesk(
      (config) =>
        printQueueAt(
          {
            ...config,
            simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, port: 0 } : s)),
          },
          `ipp://127.0.0.1:${proxy.port}/printers/public-bw`,
        ),
      silentLogger(),
      clock,
    );
    proxy.pointAt(testDesk.desk.simulators.address('print-server').port);
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await testDesk?.stop();
    await proxy?.close();
  });

  it('polls the print server over one kept-alive connection, and runs the held-job expiry only while a job is held', async () => {
    // An idle desk: the queue is polled every second, each poll two IPP requests, on the connection
    // it has — a desk PC is not made to open (and the server to accept) a connection a second.
    const accepted = proxy.accepted;
    const sent = proxy.sentChunks;
    await until(
      () => (proxy.sentChunks >= sent + 8 ? true : undefined),
      20_000,
      'the queue was not polled',
      50,
    );
    expect(proxy.accepted).toBe(accepted);
    // Nothing held: nothing to expire, no round woken for it.
    expect(clock.running()).not.toContain(EXPIRY_ROUND);
    const jobId = await server().submit({ user: PATRON, title: 'Held a moment', pages: 1 });
    await until(
      async () => ((await listedJobIds()).includes(jobId) ? true : undefined),
      20_000,
      'the job was never listed',
      50,
    );
    expect(clock.running()).toContain(EXPIRY_ROUND);
    // The last held job leaves (cancelled at the print server): the round stops.
    server().model.cancel(jobId);
    await until(
      async () => (!(await listedJobIds()).includes(jobId) ? true : undefined),
      20_000,
      'the job cancelled at the print server is still listed',
      50,
    );
    await until(
      () => (!clock.running().includes(EXPIRY_ROUND) ? true : undefined),
      5_000,
      'the expiry round still runs with no job held',
      20,
    );
  }, 60_000);

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
    // The kept-alive connection does not hide a server gone away: staff read so, in words.
    const away = (await callApi(testDesk.api, 'GET', '/api/v1/devices/public-bw')).json;
    expect(away.reason).toMatch(
      /^ipp:\/\/127\.0\.0\.1:\d+\/printers\/public-bw did not answer within \d+ ms$/,
    );
    server().model.cancel(deleted);
    proxy.resume();
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
    const back = (await callApi(testDesk.api, 'GET', '/api/v1/devices/public-bw')).json;
    expect(back).toMatchObject({ status: 'online', reason: null });
    expect(back.reconnects).toBeGreaterThanOrEqual(1);
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
    const session = await stationLogin(testDesk.api, PATRON, '1234');
    const printed = await releaseAtStation(testDesk.api, session, kept);
    expect(printed.status).toBe(200);
  }, 60_000);
});

/**
 * Carrel (re)started while jobs wait at the print server: they are counted and can be printed, and
 * one already past its hold time is cancelled.
 */
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
    // Printed before the weekend and never fetched: past its hold time (4 h) when Carrel starts.
    const forgotten = await external.submit({ user: PATRON, title: 'Left on Friday', pages: 1 });
    external.job(forgotten)!.createdAt -= 3 * 86_400;
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
    // The one past its hold time is cancelled at the print server without charge, as it would have
    // been had Carrel run meanwhile; the one within it is kept.
    await until(
      () => (external!.job(forgotten)?.state === 'canceled' ? true : undefined),
      20_000,
      'the job past its hold time at start was never cancelled',
      50,
    );
    expect(external.job(jobId)?.state).toBe('pending-held');
  }, 60_000);
});
