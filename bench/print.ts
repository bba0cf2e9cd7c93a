/**
 * Print release: the time from "release" to the print server holding the job
 * for the printer through Carrel (the charge and its journal row committed,
 * then Release-Job) beside a bare IPP Release-Job to the same simulated print
 * server in the same run, alternating job by job; durable ledger charges per
 * second, alone and as a release charges them (each a WAL commit with
 * synchronous=FULL), and as ten stations releasing at once charge them (group
 * commit: one fsync for what was asked together), beside bare one-row commits
 * on the same disk (the floor: what the disk allows in this run), taking turns
 * so a busy disk weighs on all alike, and the WAL pages each writes; and
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
import { ReleaseJournal } from '../src/gateway/print-accounts/release-journal.js';
import { PrintAccounts } from '../src/gateway/print-accounts/service.js';
import { tariffSchema } from '../src/gateway/print-accounts/tariff.js';
import { type Database, GroupCommit, openDatabase } from '../src/gateway/storage/index.js';
import { ippReleaseQueue } from '../test/helpers/ipp-release-queue.js';
import type { BenchResult } from './types.js';

const RELEASES = 150;
const CHARGES = 3000;
/** Commits of one kind before the bench turns to the next: the three take turns through the run. */
const CHUNK = 100;
const COUNTS = 7;
/** Release stations asking at the same time in the group-commit figure (a busy branch has 4–8). */
const STATIONS = 10;
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
  const client = new IppClient(
    new IppHttpTransport({ url: server.queueUrl('public-bw'), clock: systemClock }),
  );
  const db = openDatabase(path.join(dir, 'release.db'));
  // The jobs the print server holds, read before each release (not timed): the release workflow's queue.
  const held = ippReleaseQueue(client, tariffSchema.parse({ mono: 10 }), () => 2);
  const accounts = new PrintAccounts({
    config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
    database: () => db,
    queues: () => [held.queue],
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
      await held.refresh();
      let start = performance.now();
      await accounts.release({
        requestId: `bench-release-${i}`,
        patron: PATRON,
        queue: 'public-bw',
        jobId: viaCarrel,
      });
      const throughCarrel = performance.now() - start;
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

/** WAL pages (frames) one call of `write` appends, on average over `times` calls (fewer than the autocheckpoint's 1,000 pages). */
function walPages(db: Database, times: number, write: (i: number) => void): number {
  db.checkpoint();
  for (let i = 0; i < times; i++) write(i);
  const log = Number(db.pragma('wal_checkpoint(PASSIVE)')[0]?.log);
  return log / times;
}

/**
 * Durable commits per second, three ways on the same disk, interleaved in chunks of CHUNK so that
 * whatever else the disk is doing falls on all three alike: the floor (a bare one-row INSERT per
 * commit), a ledger charge alone, and a release's charge (ledger entry + journal row, one commit),
 * each a WAL commit with synchronous=FULL, as Carrel opens its database.
 */
async function charges(dir: string): Promise<BenchResult[]> {
  const floorDb = openDatabase(path.join(dir, 'floor.db'));
  const db = openDatabase(path.join(dir, 'ledger.db'));
  try {
    floorDb.exec('CREATE TABLE floor (x INTEGER)');
    const insert = floorDb.prepare('INSERT INTO floor (x) VALUES (?)');
    const ledger = new PrintLedger(db, { currency: 'EUR', clock: systemClock, maxAmountMinor: 1_000_000 });
    const journal = new ReleaseJournal(db, ledger, systemClock);
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
    const quote = {
      impressions: 1,
      freeImpressions: 0,
      priceMinor: 10,
      freeMinor: 0,
      amountMinor: 10,
      currency: 'EUR',
    };
    let floorRows = 0;
    let charged = 0;
    let released = 0;
    const floorCommit = () => insert.run(floorRows++);
    const charge = () => {
      const i = charged++;
      ledger.post({
        requestId: `bench-charge-${i}`,
        account: `2100${i % accounts}`,
        kind: 'charge',
        amountMinor: -10,
        currency: 'EUR',
        queue: 'public-bw',
        pages: 1,
      });
    };
    const release = () => {
      const i = released++;
      journal.begin({
        requestId: `bench-release-${i}`,
        account: `2100${i % accounts}`,
        queue: 'public-bw',
        jobId: i + 1,
        jobKey: `public-bw/${i + 1}`,
        jobName: 'Bench',
        quote,
      });
    };
    // Stations releasing at the same time, each waiting for its own charge to be committed before
    // asking again: as the desk charges a release, through the database's group commit.
    const commits = new GroupCommit(db);
    const stations = async () => {
      await Promise.all(
        Array.from({ length: STATIONS }, async () => {
          for (let i = 0; i < CHUNK / STATIONS; i++) await commits.run(release);
        }),
      );
    };
    const ways = [floorCommit, charge, release];
    const spent = [0, 0, 0, 0];
    for (let done = 0; done < CHARGES; done += CHUNK) {
      ways.forEach((write, w) => {
        const start = performance.now();
        for (let i = 0; i < CHUNK; i++) write();
        spent[w]! += performance.now() - start;
      });
      const start = performance.now();
      await stations();
      spent[3]! += performance.now() - start;
    }
    const [floor, perSecond, releasesPerSecond, grouped] = spent.map((ms) => CHARGES / (ms / 1000)) as [
      number,
      number,
      number,
      number,
    ];
    // Pages written per commit, on the tables as the timed run left them.
    const pages = [walPages(floorDb, 50, floorCommit), walPages(db, 50, charge), walPages(db, 50, release)];
    const violations = [...ledger.invariantViolations(), ...journal.invariantViolations()];
    if (violations.length > 0) throw new Error(`ledger invariants broken: ${violations.join('; ')}`);
    return [
      {
        name: 'floor: bare one-row commits/s, same settings and disk',
        value: Math.round(floor),
        unit: 'commits/s',
      },
      {
        name: 'ledger charges/s one at a time, a commit each (WAL, synchronous=FULL)',
        value: Math.round(perSecond),
        unit: 'charges/s',
      },
      {
        name: 'release charges/s one at a time (ledger entry + journal row, one commit each)',
        value: Math.round(releasesPerSecond),
        unit: 'charges/s',
      },
      {
        name: 'release charges one at a time ÷ floor, same run',
        value: releasesPerSecond / floor,
        unit: '×',
      },
      {
        name: `release charges/s, ${STATIONS} stations at once (group commit, durable before answered)`,
        value: Math.round(grouped),
        unit: 'charges/s',
        target: `≥ ${CHARGE_TARGET.toLocaleString('en-US')}`,
        met: grouped >= CHARGE_TARGET,
      },
      { name: `release charges, ${STATIONS} stations ÷ floor, same run`, value: grouped / floor, unit: '×' },
      { name: 'WAL pages per commit: floor', value: pages[0]!, unit: 'pages' },
      { name: 'WAL pages per commit: ledger charge', value: pages[1]!, unit: 'pages' },
      { name: 'WAL pages per commit: release charge', value: pages[2]!, unit: 'pages' },
    ];
  } finally {
    db.close();
    floorDb.close();
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
        // Paid once after a start or 2 min without documents, as a PC's job arrives in the queue:
        // the thread, pdf.js loaded and compiled, then the count. Not while a patron waits.
        name: '500-page PDF in a worker just started (thread + pdf.js load + count)',
        value: first,
        unit: 'ms',
      },
    ];
  } finally {
    await counter.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-print-'));
  try {
    return [...(await releases(dir)), ...(await charges(dir)), ...(await pageCount())];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
