import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import type { ReleaseQueue, ServerJobState } from '../../../src/gateway/print-accounts/queue.js';
import { ReleaseJournal } from '../../../src/gateway/print-accounts/release-journal.js';
import { releaseViewNow } from '../../../src/gateway/print-accounts/release-view.js';
import { ReleaseWorkflow } from '../../../src/gateway/print-accounts/release-workflow.js';
import { tariffSchema } from '../../../src/gateway/print-accounts/tariff.js';
import { type Database, GroupCommit, openDatabase } from '../../../src/gateway/storage/index.js';
import { walCommits } from '../../helpers/wal-commits.js';

const PATRON = '21000001';

/**
 * What the print server says of a released job while the printer has it (its state, the pages
 * printed), as the desk's follower asks it each round (every 2 s), on the release journal in a real
 * SQLite file: written when it changed — a flush of the disk each — and not at every round.
 */
describe('the pages a job at the printer has printed, kept on disk', () => {
  let dir: string;
  let dbPath: string;
  let db: Database;
  /** What the print server answers for the job, as the test sets it. */
  let heard: ServerJobState;
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 10));
  const queue: ReleaseQueue = {
    id: 'public-bw',
    tariff: tariffSchema.parse({ mono: 10 }),
    releaseCodes: false,
    maxImpressions: 1000,
    reconcile: 'impressions',
    heldJobs: () => [],
    releaseBlocked: () => null,
    release: async () => {},
    cancel: async () => {},
    status: async () => heard,
    thumbnail: async () => undefined,
  };

  /** The release journal and its follower on the file, as a Carrel started on it has them. */
  function carrelOn(database: Database) {
    const ledger = new PrintLedger(database, { currency: 'EUR', clock });
    const journal = new ReleaseJournal(database, ledger, clock);
    const workflow = new ReleaseWorkflow({
      ledger,
      journal,
      commits: new GroupCommit(database),
      queues: () => [queue],
      clock,
      logger: silentLogger(),
    });
    return { ledger, journal, workflow };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-release-heard-'));
    dbPath = join(dir, 'carrel.db');
    db = openDatabase(dbPath);
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is written when it changes, not at every round, and is what a Carrel started again shows and counts', async () => {
    const { ledger, journal, workflow } = carrelOn(db);
    ledger.deposit({
      requestId: 'deposit-1',
      patron: PATRON,
      amountMinor: 500,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const { release } = journal.begin({
      requestId: 'release-1',
      account: PATRON,
      queue: 'public-bw',
      jobId: 7,
      jobKey: 'public-bw:7:1',
      jobName: 'Thesis',
      quote: {
        impressions: 10,
        freeImpressions: 0,
        priceMinor: 100,
        freeMinor: 0,
        amountMinor: 100,
        currency: 'EUR',
      },
    });
    journal.markReleased(release.id);
    const flushes = () => walCommits(dbPath).commits;

    heard = { state: 'processing', impressionsCompleted: 2 };
    const before = flushes();
    await workflow.follow();
    expect(flushes()).toBe(before + 1);
    // The printer says the same at the next rounds: nothing is written.
    for (let round = 0; round < 3; round++) await workflow.follow();
    expect(flushes()).toBe(before + 1);
    // It jams after one more page: written once.
    heard = { state: 'processing-stopped', impressionsCompleted: 3 };
    for (let round = 0; round < 3; round++) await workflow.follow();
    expect(flushes()).toBe(before + 2);
    db.close();

    // Carrel started again on the file (killed meanwhile): before it has asked the print server,
    // it shows staff the pages that came out, and a refund counts them.
    db = openDatabase(dbPath);
    const again = carrelOn(db);
    const kept = again.journal.get(release.id)!;
    const { printer } = releaseViewNow(kept, true);
    expect(printer).toMatchObject({ state: 'processing-stopped', impressionsCompleted: 3 });
    expect(printer?.message).toContain('stopped after 3 of 10 pages');
    expect(again.workflow.printedSoFar(kept)).toBe(3);
  });
});
