/**
 * Print release: the time from "release" to the print server holding the job
 * for the printer through Carrel (the charge and its journal row committed,
 * then Release-Job) beside a bare IPP Release-Job to the same simulated print
 * server in the same run, alternating job by job; durable ledger charges per
 * second (each a WAL commit with synchronous=FULL) beside bare one-row
 * commits on the same disk (the floor: what the disk allows in this run); and
 * the pages of a 500-page PDF counted by pdf.js in its worker (the first, with
 * the worker's start, and the median of the next ones). Prints nothing itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { samplePdf, startPrintServerSimulator } from '../simulators/print-server/index.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { IppClient } from '../src/devices/print-queue/ipp-client.js';
import { PageCounter } from '../src/devices/print-queue/page-counter.js';
import { IppHttpTransport } from '../src/devices/transport/ipp-http.js';
import { PrintLedger } from '../src/gateway/print-accounts/ledger.js';
import type { HeldJob, ReleaseQueue } from '../src/gateway/print-accounts/queue.js';
import { ReleaseJournal } from '../src/gateway/print-accounts/release-journal.js';
import { PrintAccounts } from '../src/gateway/print-accounts/service.js';
import { tariffSchema } from '../src/gateway/print-accounts/tariff.js';
import { openDatabase } from '../src/gateway/storage/index.js';
import type { BenchResult } from './types.js';

const RELEASES = 150;
const CHARGES = 3000;
const COUNTS = 7;
const CHARGE_TARGET = 2000;
const COUNT_TARGET_MS = 200;
const PATRON = '21000001';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

async function releases(dir: string): Promise<BenchResult[]> {
  const server = await startPrintServerSimulator({
    id: 'bench-print-server',
    host: '127.0.0.1',
    port: 0,
    queues: ['public-bw'],
    pageMs: 1,
    holdAll: true,
    logger: silentLogger(),
  });
  const client = new IppClient(new IppHttpTransport({ url: server.queueUrl('public-bw') }));
  const db = openDatabase(path.join(dir, 'release.db'));
  const held = new Map<number, HeldJob>();
  const queue: ReleaseQueue = {
    id: 'public-bw',
    tariff: tariffSchema.parse({ mono: 10 }),
    releaseCodes: false,
    maxImpressions: 1000,
    reconcile: 'impressions',
    heldJobs: () => [...held.values()],
    releaseBlocked: () => null,
    release: (jobId) => client.release(jobId),
    cancel: (jobId) => client.cancel(jobId),
    status: async (jobId) => {
      const job = await client.job(jobId);
      return { state: job.state, impressionsCompleted: job.impressionsCompleted };
    },
    thumbnail: async () => undefined,
  };
  const accounts = new PrintAccounts({
    config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
    database: () => db,
    queues: () => [queue],
    clock: systemClock,
    logger: silentLogger(),
    followIntervalMs: 3_600_000,
  });
  try {
    accounts.deposit({
      requestId: 'bench-deposit-1',
      patron: PATRON,
      amountMinor: 1_000_000,
      currency: 'EUR',
      source: 'cash-desk',
      staff: 'bench',
    });
    const carrel: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RELEASES + 10; i++) {
      const viaCarrel = await server.submit({ user: PATRON, title: `c${i}`, pages: 2 });
      const direct = await server.submit({ user: PATRON, title: `b${i}`, pages: 2 });
      const now = Date.now();
      held.set(viaCarrel, {
        jobId: viaCarrel,
        key: `public-bw/${viaCarrel}`,
        name: `c${i}`,
        owner: PATRON,
        patron: PATRON,
        pages: 2,
        pagesProblem: null,
        copies: 1,
        sides: 'one-sided',
        color: false,
        media: 'iso_a4_210x297mm',
        submittedAt: now,
        expiresAt: now + 3_600_000,
      });
      let start = performance.now();
      await accounts.release({
        requestId: `bench-release-${i}`,
        patron: PATRON,
        queue: 'public-bw',
        jobId: viaCarrel,
      });
      const throughCarrel = performance.now() - start;
      held.delete(viaCarrel);
      start = performance.now();
      await client.release(direct);
      const bareRelease = performance.now() - start;
      if (i >= 10) {
        carrel.push(throughCarrel);
        bare.push(bareRelease);
      }
    }
    carrel.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    return [
      {
        name: 'release through Carrel (charge + Release-Job) p50',
        value: percentile(carrel, 0.5),
        unit: 'ms',
      },
      { name: 'bare IPP Release-Job, same server, p50', value: percentile(bare, 0.5), unit: 'ms' },
      { name: 'release through Carrel p99', value: percentile(carrel, 0.99), unit: 'ms' },
      { name: 'bare IPP Release-Job p99', value: percentile(bare, 0.99), unit: 'ms' },
    ];
  } finally {
    await accounts.stop();
    db.close();
    await server.close();
  }
}

/** The floor: commits/s of a one-column row into a bare table, same database settings, same disk. */
function bareCommits(dir: string): number {
  const db = openDatabase(path.join(dir, 'floor.db'));
  try {
    db.exec('CREATE TABLE floor (x INTEGER)');
    const insert = db.prepare('INSERT INTO floor (x) VALUES (?)');
    const start = performance.now();
    for (let i = 0; i < CHARGES; i++) insert.run(i);
    return CHARGES / ((performance.now() - start) / 1000);
  } finally {
    db.close();
  }
}

function charges(dir: string): BenchResult[] {
  const floor = bareCommits(dir);
  const db = openDatabase(path.join(dir, 'ledger.db'));
  try {
    const ledger = new PrintLedger(db, { currency: 'EUR', clock: systemClock, maxAmountMinor: 1_000_000 });
    const accounts = 100;
    for (let a = 0; a < accounts; a++)
      ledger.deposit({
        requestId: `bench-deposit-${a}`,
        patron: `2100${a}`,
        amountMinor: 1_000_000,
        currency: 'EUR',
        source: 'cash-desk',
        staff: 'bench',
      });
    const start = performance.now();
    for (let i = 0; i < CHARGES; i++)
      ledger.post({
        requestId: `bench-charge-${i}`,
        account: `2100${i % accounts}`,
        kind: 'charge',
        amountMinor: -10,
        currency: 'EUR',
        queue: 'public-bw',
        pages: 1,
      });
    const perSecond = CHARGES / ((performance.now() - start) / 1000);
    // As a release charges: the ledger entry and the journal row in one transaction.
    const journal = new ReleaseJournal(db, ledger, systemClock);
    const quote = {
      impressions: 1,
      freeImpressions: 0,
      priceMinor: 10,
      freeMinor: 0,
      amountMinor: 10,
      currency: 'EUR',
    };
    const journalStart = performance.now();
    for (let i = 0; i < CHARGES; i++)
      journal.begin({
        requestId: `bench-release-${i}`,
        account: `2100${i % accounts}`,
        queue: 'public-bw',
        jobId: i + 1,
        jobKey: `public-bw/${i + 1}`,
        jobName: 'Bench',
        quote,
      });
    const releasesPerSecond = CHARGES / ((performance.now() - journalStart) / 1000);
    const violations = [...ledger.invariantViolations(), ...journal.invariantViolations()];
    if (violations.length > 0) throw new Error(`ledger invariants broken: ${violations.join('; ')}`);
    return [
      {
        name: 'floor: bare one-row commits/s, same settings and disk',
        value: Math.round(floor),
        unit: 'commits/s',
      },
      {
        name: 'ledger charges/s (WAL, synchronous=FULL)',
        value: Math.round(perSecond),
        unit: 'charges/s',
        target: `≥ ${CHARGE_TARGET.toLocaleString('en-US')}`,
        met: perSecond >= CHARGE_TARGET,
      },
      {
        name: 'release charges/s (ledger entry + journal row, one commit)',
        value: Math.round(releasesPerSecond),
        unit: 'charges/s',
        target: `≥ ${CHARGE_TARGET.toLocaleString('en-US')}`,
        met: releasesPerSecond >= CHARGE_TARGET,
      },
    ];
  } finally {
    db.close();
  }
}

async function pageCount(): Promise<BenchResult[]> {
  const pdf = samplePdf({ pages: 500, title: 'Bench' });
  const counter = new PageCounter({ clock: systemClock });
  try {
    let start = performance.now();
    const pages = await counter.count(pdf, 'application/pdf');
    const first = performance.now() - start;
    if (pages !== 500) throw new Error(`counted ${pages} pages of 500`);
    const times: number[] = [];
    for (let i = 0; i < COUNTS; i++) {
      start = performance.now();
      await counter.count(pdf, 'application/pdf');
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = percentile(times, 0.5);
    return [
      {
        name: `500-page PDF counted (${Math.round(pdf.length / 1024)} KiB), median`,
        value: median,
        unit: 'ms',
        target: `≤ ${COUNT_TARGET_MS}`,
        met: median <= COUNT_TARGET_MS,
      },
      {
        name: '500-page PDF, first (worker start)',
        value: first,
        unit: 'ms',
        target: `≤ ${COUNT_TARGET_MS}`,
        met: first <= COUNT_TARGET_MS,
      },
    ];
  } finally {
    await counter.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-print-'));
  try {
    return [...(await releases(dir)), ...charges(dir), ...(await pageCount())];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
