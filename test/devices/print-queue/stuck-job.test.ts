import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrintServerSimulator } from '../../../simulators/print-server/index.js';
import type { PrintServerSimulator } from '../../../simulators/print-server/simulator.js';
import { ManualClock, systemClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import { IppClient } from '../../../src/devices/print-queue/ipp-client.js';
import { PrintQueueDriver } from '../../../src/devices/print-queue/print-queue-driver.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';

/**
 * A released job that prints no page for `stuckAfterMs` is stuck: the print queue's driver over
 * the print-server simulator (real IPP over TCP), its own clock in the test's hand. A page takes
 * an hour at this printer, so the job sits at page 0 for as long as the test likes.
 */
describe('a job stuck at the printer', () => {
  let server: PrintServerSimulator;
  let transport: IppHttpTransport;

  beforeAll(async () => {
    server = await startPrintServerSimulator({
      id: 'print-server',
      host: '127.0.0.1',
      port: 0,
      queues: ['public-bw'],
      pageMs: 3_600_000,
      holdAll: true,
      logger: createLogger({ level: 'silent' }),
    });
    transport = new IppHttpTransport({ url: server.queueUrl('public-bw'), clock: systemClock });
  });
  afterAll(async () => {
    transport.close();
    await server.close();
  });

  it('is said after ten minutes without a page passed, whatever NTP does to the wall clock', async () => {
    const client = new IppClient(transport);
    const clock = new ManualClock();
    const driver = new PrintQueueDriver({
      id: 'public-bw',
      client,
      clock,
      pollIntervalMs: 86_400_000,
      stuckAfterMs: 600_000,
    });
    const stuck: unknown[] = [];
    driver.on('event', (type: string, data: unknown) => {
      if (type === 'job_stuck') stuck.push(data);
    });
    await driver.connect();
    const jobId = await server.submit({ user: 'pc-user-1', pages: 3 });
    await client.release(jobId);
    await driver.refresh();
    expect(driver.currentJobs().find((job) => job.id === jobId)?.state).toBe('processing');
    // The desk's clock stepped an hour forward a second after the job started: it is not stuck.
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    await driver.refresh();
    expect(stuck).toEqual([]);
    expect(driver.condition().status).toBe('online');
    // Stepped two hours back, ten minutes later with no page printed it is stuck, not an hour later.
    clock.stepWallClock(-2 * 3_600_000);
    await clock.advance(600_000);
    await driver.refresh();
    expect(stuck).toEqual([{ jobId, impressions: 0 }]);
    expect(driver.condition()).toMatchObject({ status: 'degraded', reason: 'a job is stuck at the printer' });
    await client.cancel(jobId);
    await driver.disconnect();
  });
});
