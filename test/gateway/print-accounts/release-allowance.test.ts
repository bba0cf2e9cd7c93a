import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrintServerSimulator,
  startPrintServerSimulator,
} from '../../../simulators/print-server/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { IppClient } from '../../../src/devices/print-queue/ipp-client.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';
import type { ReleaseQueue } from '../../../src/gateway/print-accounts/queue.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { type Tariff, tariffSchema } from '../../../src/gateway/print-accounts/tariff.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { type IppReleaseQueue, ippReleaseQueue } from '../../helpers/ipp-release-queue.js';
import { until } from '../../helpers/until.js';

/**
 * A queue with a free allowance (five pages a day), its jobs held by the simulated print server and
 * released, followed and settled over IPP: what the printer did not print (it aborted part-way) is
 * neither charged nor taken off the patron's free pages.
 */
const PATRON = '21000001';
let dir: string;
let db: Database;
let server: PrintServerSimulator;
let accounts: PrintAccounts;
let queue: ReleaseQueue;
/** The jobs held at the print server, read again: their pages as the desk's page counter would count them. */
let refresh: IppReleaseQueue['refresh'];

let client: IppClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-release-allowance-'));
  server = await startPrintServerSimulator({
    id: 'print-server',
    host: '127.0.0.1',
    port: 0,
    queues: ['public-bw'],
    pageMs: 2,
    holdAll: true,
    logger: createLogger({ level: 'silent' }),
  });
  client = new IppClient(new IppHttpTransport({ url: server.queueUrl(), clock: systemClock }));
  db = openDatabase(path.join(dir, 'carrel.db'));
  ({ queue, refresh } = ippReleaseQueue(
    client,
    tariffSchema.parse({ mono: 10, free: { period: 'day', impressions: 5 } }),
    (job) => server.job(job.id)?.pages ?? null,
  ));
  accounts = new PrintAccounts({
    config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
    database: () => db,
    queues: () => [queue],
    clock: systemClock,
    logger: silentLogger(),
    followIntervalMs: 3_600_000,
  });
  accounts.deposit({
    requestId: 'allowance-deposit',
    patron: PATRON,
    amountMinor: 1000,
    currency: 'EUR',
    source: 'cash-desk',
  });
});

afterAll(async () => {
  db?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function release(pages: number, requestId: string, patron = PATRON) {
  const jobId = await server.submit({ user: patron, title: 'Essay', pages });
  await refresh();
  const released = await accounts.release({ requestId, patron, queue: 'public-bw', jobId });
  return { jobId, released };
}

/** Releases `pages` with the printer aborting after `printed`, and waits until the desk settles it. */
async function releaseAborted(pages: number, printed: number, requestId: string, patron = PATRON) {
  // The fault is taken by the next job to start printing: a job released before (the test before's
  // last) must have started first, or it would take it.
  await until(
    () => server.model.list(undefined, 'not-completed').every((job) => job.state !== 'pending') || undefined,
    10_000,
    'the jobs released before started printing',
  );
  server.setFaults({ abortNextAfter: printed });
  const { released } = await release(pages, requestId, patron);
  const settled = await until(
    async () => {
      await accounts.follow();
      return accounts.releases({ patron }).find((r) => r.id === released.id && r.outcome);
    },
    10_000,
    'the aborted job settled',
  );
  return { released, settled };
}

describe('a free allowance of pages', () => {
  it('is used only by the pages the printer printed: a job aborted part-way leaves the rest free', async () => {
    // Ten pages, five of them free: 50 cents charged. The printer aborts after two.
    const first = await releaseAborted(10, 2, 'allowance-release-1');
    expect(first.released).toMatchObject({ impressions: 10, amountMinor: 50 });
    const settled = first.settled;
    // The two pages printed were free ones: the 50 cents come back.
    expect(settled).toMatchObject({ state: 'refunded', printedImpressions: 2, refundedMinor: 50 });
    expect(accounts.balance(PATRON).balanceMinor).toBe(1000);

    // Three of the day's five free pages are left: a three-page job costs nothing.
    const second = await release(3, 'allowance-release-2');
    expect(second.released).toMatchObject({ impressions: 3, amountMinor: 0 });
    // And none after it: a page more is charged.
    const third = await release(1, 'allowance-release-3');
    expect(third.released).toMatchObject({ impressions: 1, amountMinor: 10 });
    expect(accounts.invariantViolations()).toEqual([]);
  });

  it('of value is used only by the pages printed too', async () => {
    const patron = '21000002';
    (queue as { tariff: Tariff }).tariff = tariffSchema.parse({
      mono: 10,
      free: { period: 'day', amountMinor: 50 },
    });
    accounts.deposit({
      requestId: 'allowance-deposit-2',
      patron,
      amountMinor: 1000,
      currency: 'EUR',
      source: 'cash-desk',
    });
    // 1.00 EUR of pages, 0.50 of it free: 0.50 charged, refunded when only two pages (0.20, free) come out.
    const first = await releaseAborted(10, 2, 'allowance-value-1', patron);
    expect(first.released).toMatchObject({ amountMinor: 50 });
    expect(first.settled).toMatchObject({ printedImpressions: 2, refundedMinor: 50 });
    // 0.30 EUR of the allowance left: three pages free, then a page charged.
    expect((await release(3, 'allowance-value-2', patron)).released).toMatchObject({ amountMinor: 0 });
    expect((await release(1, 'allowance-value-3', patron)).released).toMatchObject({ amountMinor: 10 });
    expect(accounts.invariantViolations()).toEqual([]);
  });
});
