import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import type { HeldJob, ReleaseQueue, ServerJobState } from '../../../src/gateway/print-accounts/queue.js';
import { ReleaseJournal } from '../../../src/gateway/print-accounts/release-journal.js';
import { ReleaseWorkflow } from '../../../src/gateway/print-accounts/release-workflow.js';
import { tariffSchema } from '../../../src/gateway/print-accounts/tariff.js';
import {
  type Database,
  GroupCommit,
  openDatabase,
  type Statement,
} from '../../../src/gateway/storage/index.js';

const PATRON = '21000001';
const JOB = 7;

/** A deferred answer the test gives when it chooses: the print server's timing, which no wire can force. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * One held job at a print server that answers Release-Job and Get-Job-Attributes when the test
 * says: a Release-Job refused leaves the job held (client-error-not-possible), one accepted sends it
 * to the printer.
 */
class ServerQueue implements ReleaseQueue {
  readonly id = 'public-bw';
  readonly tariff = tariffSchema.parse({});
  readonly releaseCodes = false;
  readonly maxImpressions = 500;
  readonly reconcile = 'impressions' as const;
  state: 'pending-held' | 'processing' | 'completed' = 'pending-held';
  readonly releaseJobs: Array<{ accept(): void; refuse(): void }> = [];
  /** While set, Get-Job-Attributes waits for it. */
  statusGate: Promise<void> | undefined;

  heldJobs(): HeldJob[] {
    if (this.state !== 'pending-held') return [];
    return [
      {
        jobId: JOB,
        key: `public-bw:${JOB}:1`,
        name: 'Poster',
        owner: PATRON,
        patron: PATRON,
        pages: 1,
        pagesProblem: null,
        copies: 1,
        sides: 'one-sided',
        color: false,
        media: 'iso_a4_210x297mm',
        submittedAt: 0,
        expiresAt: Number.MAX_SAFE_INTEGER,
      },
    ];
  }
  releaseBlocked() {
    return null;
  }
  release(): Promise<void> {
    const answer = deferred<void>();
    this.releaseJobs.push({
      accept: () => {
        if (this.state === 'pending-held') this.state = 'processing';
        answer.resolve();
      },
      refuse: () =>
        answer.reject(
          new CarrelError(
            'print_job_not_possible',
            'client-error-not-possible (job 7 cannot be released now)',
          ),
        ),
    });
    return answer.promise;
  }
  async cancel(): Promise<void> {}
  async status(): Promise<ServerJobState> {
    await this.statusGate;
    return { state: this.state, impressionsCompleted: 0 };
  }
  async thumbnail(): Promise<Buffer | undefined> {
    return undefined;
  }
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A Release-Job the print server refuses while a second one for the same release is sent beside it
 * — the same request sent again at once, or the follower finding the release still charged — on
 * the release journal and ledger in a real SQLite file.
 */
describe('a refused release and a second Release-Job for it', () => {
  let dir: string;
  let db: Database;
  let ledger: PrintLedger;
  let queue: ServerQueue;
  let workflow: ReleaseWorkflow;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-release-races-'));
    db = openDatabase(join(dir, 'carrel.db'));
    const clock = new ManualClock(Date.UTC(2026, 11, 5, 10));
    ledger = new PrintLedger(db, { currency: 'EUR', clock });
    ledger.deposit({
      requestId: 'deposit-1',
      patron: PATRON,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    queue = new ServerQueue();
    workflow = new ReleaseWorkflow({
      ledger,
      journal: new ReleaseJournal(db, ledger, clock),
      commits: new GroupCommit(db),
      queues: () => [queue],
      clock,
      logger: silentLogger(),
    });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = {
    requestId: 'release-1',
    account: PATRON,
    queue: 'public-bw',
    jobId: JOB,
    claim: () => true,
  };
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => ({ printed: true }),
      (error: CarrelError) => ({ code: error.code, details: error.details }),
    );

  it('the same request sent again while the first is at the print server is answered its refusal; the job is not printed free', async () => {
    const first = outcome(workflow.release(request));
    await turns();
    expect(queue.releaseJobs).toHaveLength(1);
    const again = outcome(workflow.release(request));
    await turns();
    // The print server refuses the first Release-Job; any second one it takes.
    queue.releaseJobs[0]?.refuse();
    await turns();
    queue.releaseJobs[1]?.accept();
    const refused = { code: 'print_release_refused', details: { jobStillWaiting: true } };
    expect(await first).toEqual(refused);
    expect(await again).toEqual(refused);
    // A second Release-Job went out beside the first: the printer printed the job, refunded in full.
    expect(queue.releaseJobs).toHaveLength(1);
    expect(queue.state).toBe('pending-held');
    expect(ledger.balance(PATRON).balanceMinor).toBe(100);
  });

  it('the follower finding the release charged while its Release-Job is at the print server does not send another', async () => {
    const first = outcome(workflow.release(request));
    await turns();
    void workflow.follow();
    await turns();
    queue.releaseJobs[0]?.refuse();
    await turns();
    queue.releaseJobs[1]?.accept();
    expect(await first).toEqual({ code: 'print_release_refused', details: { jobStillWaiting: true } });
    await workflow.follow();
    expect(queue.releaseJobs).toHaveLength(1);
    expect(queue.state).toBe('pending-held');
    expect(ledger.balance(PATRON).balanceMinor).toBe(100);
  });

  it('the follower that read the release as charged before it was refused does not send Release-Job after', async () => {
    const first = outcome(workflow.release(request));
    await turns();
    // The follower reads the open releases, then waits for the print server to say where the job is.
    const gate = deferred<void>();
    queue.statusGate = gate.promise;
    const following = workflow.follow();
    await turns();
    queue.statusGate = undefined;
    queue.releaseJobs[0]?.refuse();
    expect(await first).toEqual({ code: 'print_release_refused', details: { jobStillWaiting: true } });
    // Refused and refunded; now the follower hears the job is held, as it is.
    gate.resolve();
    await turns();
    queue.releaseJobs[1]?.accept();
    await following;
    expect(queue.releaseJobs).toHaveLength(1);
    expect(queue.state).toBe('pending-held');
    expect(ledger.balance(PATRON).balanceMinor).toBe(100);
  });
});

/** `db`, counting the statements run on it (reads and writes): what wakes SQLite and its file locks. */
function counted(db: Database): { db: Database; statements: () => number } {
  let statements = 0;
  const count =
    <A extends unknown[], R>(run: (...args: A) => R) =>
    (...args: A): R => {
      statements++;
      return run(...args);
    };
  const wrapped = Object.create(db) as Database;
  wrapped.prepare = (sql: string): Statement => {
    const statement = db.prepare(sql);
    return {
      ...statement,
      run: count(statement.run.bind(statement)),
      get: count(statement.get.bind(statement)),
      all: count(statement.all.bind(statement)),
    };
  };
  return { db: wrapped, statements: () => statements };
}

/**
 * A desk with print release and nobody printing: the follower reads the release journal only while
 * a release is open, so an idle desk PC is not woken every 2 s to find nothing (strace of an idle
 * daemon showed a read transaction of the journal every 2 s).
 */
describe('the release follower at an idle desk', () => {
  let dir: string;
  let file: Database;
  let clock: ManualClock;
  let reads: () => number;
  let queue: ServerQueue;
  let journal: ReleaseJournal;
  let workflow: ReleaseWorkflow;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-release-idle-'));
    file = openDatabase(join(dir, 'carrel.db'));
    const { db, statements } = counted(file);
    reads = statements;
    clock = new ManualClock(Date.UTC(2026, 11, 5, 10));
    const ledger = new PrintLedger(db, { currency: 'EUR', clock });
    ledger.deposit({
      requestId: 'deposit-1',
      patron: PATRON,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    queue = new ServerQueue();
    journal = new ReleaseJournal(db, ledger, clock);
    workflow = new ReleaseWorkflow({
      ledger,
      journal,
      commits: new GroupCommit(db),
      queues: () => [queue],
      clock,
      logger: silentLogger(),
    });
  });

  afterEach(async () => {
    await workflow.stop();
    file.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const idleMinute = async () => {
    const before = reads();
    await clock.advance(60_000);
    return reads() - before;
  };

  it('reads nothing while no release is open, follows one charged until the printer ends it, then stops again', async () => {
    workflow.start();
    await turns();
    expect(await idleMinute()).toBe(0);
    expect(clock.pending()).not.toContain('print-release-follow');

    const releasing = workflow.release({
      requestId: 'release-1',
      account: PATRON,
      queue: 'public-bw',
      jobId: JOB,
      claim: () => true,
    });
    await turns();
    queue.releaseJobs[0]?.accept();
    expect((await releasing).state).toBe('released');
    // The printer prints it: the follower hears so within its interval and settles the release.
    queue.state = 'completed';
    await clock.advance(2000);
    await turns();
    expect(journal.list({}).map((release) => release.state)).toEqual(['completed']);

    await clock.advance(2000);
    await turns();
    expect(await idleMinute()).toBe(0);
    expect(clock.pending()).not.toContain('print-release-follow');
  });

  it('follows a release left charged by a crash from the start', async () => {
    const releasing = workflow.release({
      requestId: 'release-1',
      account: PATRON,
      queue: 'public-bw',
      jobId: JOB,
      claim: () => true,
    });
    await turns();
    // Carrel died before the print server answered: a new start finds the release charged.
    await workflow.stop();
    workflow.start();
    await turns();
    queue.releaseJobs[0]?.accept();
    await releasing.catch(() => undefined);
    await turns();
    queue.state = 'completed';
    await clock.advance(2000);
    await turns();
    expect(journal.list({}).map((release) => release.state)).toEqual(['completed']);
  });
});
