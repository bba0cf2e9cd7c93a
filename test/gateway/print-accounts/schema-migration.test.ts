import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { ReleaseJournal } from '../../../src/gateway/print-accounts/release-journal.js';
import { PRINT_ACCOUNT_MIGRATIONS } from '../../../src/gateway/print-accounts/schema.js';
import { type Database, migrate, openDatabase } from '../../../src/gateway/storage/index.js';

const NOON = Date.UTC(2026, 5, 1, 12);
const PATRON = '21234000000001';
const RELEASE = '7d3c1e2a-0000-4000-8000-000000000001';

let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-print-schema-'));
  db = openDatabase(join(dir, 'carrel.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A database as the first Carrel with print accounts left it: schema versions 1 and 2, with money in it. */
function oldDatabase(): void {
  migrate(db, 'print-accounts', PRINT_ACCOUNT_MIGRATIONS.slice(0, 2));
  const entry = db.prepare(
    `INSERT INTO print_ledger (id, request_id, account, kind, amount_minor, currency, balance_after,
         source, staff, reason, queue, release_id, pages, created_at) VALUES (?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  entry.run(
    'entry-1',
    'deposit-0001',
    PATRON,
    'deposit',
    500,
    500,
    'cash-desk',
    'desk-1',
    null,
    null,
    null,
    null,
    NOON,
  );
  entry.run(
    'entry-2',
    `release:${RELEASE}:charge`,
    PATRON,
    'charge',
    -30,
    470,
    null,
    null,
    'job 7',
    'public-bw',
    RELEASE,
    3,
    NOON + 1000,
  );
  entry.run(
    'entry-3',
    'refund-0001',
    PATRON,
    'refund',
    10,
    480,
    null,
    'desk-1',
    'smudged',
    'public-bw',
    RELEASE,
    null,
    NOON + 2000,
  );
  db.prepare(
    `INSERT INTO print_releases (id, request_id, account, queue, job_id, job_key, job_name, impressions,
         free_impressions, free_minor, price_minor, amount_minor, currency, state, refunded_minor,
         printed_impressions, outcome, created_at, updated_at, color)
       VALUES (?, 'release-0001', ?, 'public-bw', 7, 'public-bw/7', 'Essay', 3, 0, 0, 30, 30, 'EUR', 'released', 10, NULL, NULL, ?, ?, 0)`,
  ).run(RELEASE, PATRON, NOON + 1000, NOON + 2000);
}

describe('print accounts schema upgrade', () => {
  it('upgrades a database made with the first schema and keeps every entry, release and guarantee', () => {
    oldDatabase();
    const clock = new ManualClock(NOON + 3000);
    const ledger = new PrintLedger(db, { currency: 'EUR', clock });
    const journal = new ReleaseJournal(db, ledger, clock);

    expect(ledger.balance(PATRON)).toEqual({ balanceMinor: 480, currency: 'EUR' });
    expect(ledger.entries(PATRON).map((e) => [e.id, e.requestId, e.amountMinor, e.balanceMinor])).toEqual([
      ['entry-3', 'refund-0001', 10, 480],
      ['entry-2', `release:${RELEASE}:charge`, -30, 470],
      ['entry-1', 'deposit-0001', 500, 500],
    ]);
    expect(journal.get(RELEASE)).toMatchObject({
      requestId: 'release-0001',
      state: 'released',
      amountMinor: 30,
      refundedMinor: 10,
    });
    expect(journal.open().map((r) => r.id)).toEqual([RELEASE]);
    expect([...ledger.invariantViolations(), ...journal.invariantViolations()]).toEqual([]);

    // Idempotency still holds for what was written before the upgrade.
    const retried = ledger.deposit({
      requestId: 'deposit-0001',
      patron: PATRON,
      amountMinor: 500,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(retried).toMatchObject({ entryId: 'entry-1', repeated: true, balanceMinor: 480 });
    const quote = {
      impressions: 3,
      freeImpressions: 0,
      priceMinor: 30,
      freeMinor: 0,
      amountMinor: 30,
      currency: 'EUR',
    };
    const start = { account: PATRON, queue: 'public-bw', jobId: 7, jobName: 'Essay', quote };
    expect(journal.begin({ ...start, requestId: 'release-0001', jobKey: 'public-bw/7' })).toMatchObject({
      repeated: true,
      release: { id: RELEASE },
    });
    expect(() => journal.begin({ ...start, requestId: 'release-0002', jobKey: 'public-bw/7' })).toThrow(
      expect.objectContaining({ code: 'print_job_already_released' }),
    );

    // New entries follow the old ones, and the ledger is still append-only.
    const next = journal.begin({ ...start, requestId: 'release-0003', jobId: 8, jobKey: 'public-bw/8' });
    expect(next.repeated).toBe(false);
    expect(ledger.balance(PATRON).balanceMinor).toBe(450);
    const seqs = db.prepare('SELECT seq FROM print_ledger ORDER BY seq').all() as Array<{ seq: number }>;
    expect(seqs.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(() => db.exec('UPDATE print_ledger SET amount_minor = 1000000')).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM print_ledger')).toThrow(/append-only/);
    expect([...ledger.invariantViolations(), ...journal.invariantViolations()]).toEqual([]);
  });

  it('upgrades once: opening the upgraded database again changes nothing', () => {
    oldDatabase();
    new PrintLedger(db, { currency: 'EUR', clock: new ManualClock(NOON) });
    const schema = () =>
      db.prepare("SELECT name, sql FROM sqlite_schema WHERE name LIKE 'print_%' ORDER BY name").all();
    const before = schema();
    db.close();
    db = openDatabase(join(dir, 'carrel.db'));
    const ledger = new PrintLedger(db, { currency: 'EUR', clock: new ManualClock(NOON) });
    expect(schema()).toEqual(before);
    expect(ledger.balance(PATRON).balanceMinor).toBe(480);
  });

  it('rebuilds the refusal of releases refused before refusals were kept, and lets go of a job the print server still held', () => {
    // A database upgraded to step 5 by the Carrel that began keeping refusals: the releases it
    // refused before have none, and one refused while the job stayed held still holds the job.
    migrate(db, 'print-accounts', PRINT_ACCOUNT_MIGRATIONS.slice(0, 5));
    const release = db.prepare(
      `INSERT INTO print_releases (id, request_id, account, queue, job_id, job_key, job_name, impressions,
           free_impressions, free_minor, price_minor, amount_minor, currency, state, refunded_minor,
           printed_impressions, outcome, created_at, updated_at, refusal)
         VALUES (?, ?, ?, 'public-bw', ?, ?, 'Essay', 1, 0, 0, 10, 10, 'EUR', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const kept = {
      message: 'the job was deleted at the print server before it could be printed; the charge was refunded',
      jobStillWaiting: false,
    };
    const rows: Array<[string, number, string, string, number, number | null, string, string | null]> = [
      [
        'held',
        1,
        'public-bw/1@1',
        'refunded',
        10,
        0,
        'not printed: the print server would not send the job to the printer; the charge was refunded',
        null,
      ],
      ['cancelled', 2, 'public-bw/2@1', 'refunded', 10, 0, 'the job was canceled before it printed', null],
      ['aborted', 3, 'public-bw/3@1', 'refunded', 10, 0, 'the job was aborted before it printed', null],
      [
        'kept',
        4,
        'public-bw/4@1',
        'refunded',
        10,
        0,
        'not printed: the job was deleted at the print server before it could be printed; the charge was refunded',
        JSON.stringify(kept),
      ],
      [
        'stopped',
        5,
        'public-bw/5@1',
        'refunded',
        10,
        0,
        'the printer stopped the job after 0 of 1 pages; the pages not printed were refunded',
        null,
      ],
      ['printed', 6, 'public-bw/6@1', 'completed', 0, 1, 'printed', null],
    ];
    for (const [name, jobId, key, state, refunded, printed, outcome, refusal] of rows)
      release.run(
        name,
        `request-${name}`,
        PATRON,
        jobId,
        key,
        state,
        refunded,
        printed,
        outcome,
        NOON,
        NOON,
        refusal,
      );

    const clock = new ManualClock(NOON);
    const ledger = new PrintLedger(db, { currency: 'EUR', clock });
    const journal = new ReleaseJournal(db, ledger, clock);
    const refusalOf = (id: string) => journal.get(id)?.refusal;
    expect(refusalOf('held')).toEqual({
      message:
        'the print server would not send the job to the printer; the charge was refunded. The job is still waiting: try again, or ask at the desk',
      jobStillWaiting: true,
    });
    expect(refusalOf('cancelled')).toEqual({
      message: 'the job was cancelled at the print server before it printed; the charge was refunded',
      jobStillWaiting: false,
    });
    expect(refusalOf('aborted')).toEqual({
      message: 'the printer stopped the job before it printed; the charge was refunded',
      jobStillWaiting: false,
    });
    expect(refusalOf('kept')).toEqual(kept);
    // Released and then stopped by the printer, or printed: answered with the release, as before.
    expect(refusalOf('stopped')).toBeNull();
    expect(refusalOf('printed')).toBeNull();

    // 'Still waiting: try again' holds: the held job may be released (and charged) anew.
    const quote = {
      impressions: 1,
      freeImpressions: 0,
      priceMinor: 10,
      freeMinor: 0,
      amountMinor: 0,
      currency: 'EUR',
    };
    const start = { account: PATRON, queue: 'public-bw', jobName: 'Essay', quote };
    expect(
      journal.begin({ ...start, requestId: 'request-new-1', jobId: 1, jobKey: 'public-bw/1@1' }).repeated,
    ).toBe(false);
    expect(() =>
      journal.begin({ ...start, requestId: 'request-new-2', jobId: 2, jobKey: 'public-bw/2@1' }),
    ).toThrow(expect.objectContaining({ code: 'print_job_already_released' }));
  });

  it('gives the ledger no AUTOINCREMENT: entries are never deleted, so the rowid is never reused', () => {
    new PrintLedger(db, { currency: 'EUR', clock: new ManualClock(NOON) });
    const sql = db
      .prepare("SELECT group_concat(sql, ';') AS sql FROM sqlite_schema WHERE name LIKE 'print_%'")
      .get() as {
      sql: string;
    };
    expect(sql.sql).not.toMatch(/AUTOINCREMENT/i);
  });
});
