import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINT_ACCOUNT_MIGRATIONS } from '../../src/gateway/print-accounts/schema.js';
import { migrate, openDatabase } from '../../src/gateway/storage/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { stationLogin } from '../helpers/print-desk.js';

/**
 * Releases refused (or refunded before they reached the printer) by a Carrel from before refusals
 * were kept with the release, on a desk upgraded from it: a station whose answer was lost sends
 * the same release again, with its request id, after the upgrade. It is answered a refusal — never
 * a 200 that a station reads as printing — and no money moves. The database is made by the old
 * schema steps with the rows as that Carrel wrote them; the desk is the simulated one, over HTTP.
 */
const PATRON = '21000001';
const AT = Date.UTC(2026, 11, 5, 9);

interface OldRelease {
  id: string;
  requestId: string;
  jobId: number;
  jobKey: string;
  state: 'refunded';
  printed: number | null;
  outcome: string;
}

/** How the old Carrel settled each, in its words: four never reached the printer, one did. */
const OLD: OldRelease[] = [
  {
    // Refused at Release-Job, the job still held (and let go of): answered jobStillWaiting true.
    id: 'a0000000-0000-4000-8000-000000000001',
    requestId: 'old-release-held-0001',
    jobId: 901,
    jobKey: 'public-bw/901@1764900000 refused a0000000-0000-4000-8000-000000000001',
    state: 'refunded',
    printed: 0,
    outcome: 'not printed: the print server would not send the job to the printer; the charge was refunded',
  },
  {
    // Refused at Release-Job, the job deleted at the print server.
    id: 'a0000000-0000-4000-8000-000000000002',
    requestId: 'old-release-deleted-0002',
    jobId: 902,
    jobKey: 'public-bw/902@1764900000',
    state: 'refunded',
    printed: 0,
    outcome:
      'not printed: the job was deleted at the print server before it could be printed; the charge was refunded',
  },
  {
    // The first Carrel's words for a refusal at Release-Job.
    id: 'a0000000-0000-4000-8000-000000000003',
    requestId: 'old-release-first-0003',
    jobId: 903,
    jobKey: 'public-bw/903@1764900000',
    state: 'refunded',
    printed: 0,
    outcome:
      'the print server did not release the job: ipp://127.0.0.1:6310/printers/public-bw: client-error-not-possible (job 903 is not held)',
  },
  {
    // Answered 'pending' (the print server away), then found gone and refunded by the follower.
    id: 'a0000000-0000-4000-8000-000000000004',
    requestId: 'old-release-gone-0004',
    jobId: 904,
    jobKey: 'public-bw/904@1764900000',
    state: 'refunded',
    printed: 0,
    outcome: 'the job was gone before it was released',
  },
  {
    // Released (answered 200), then stopped by the printer before its first page and refunded.
    id: 'a0000000-0000-4000-8000-000000000005',
    requestId: 'old-release-stopped-0005',
    jobId: 905,
    jobKey: 'public-bw/905@1764900000',
    state: 'refunded',
    printed: 0,
    outcome: 'the printer stopped the job after 0 of 1 pages; the pages not printed were refunded',
  },
];

/** A database as a Carrel with print-accounts schema step 4 left it: 5.00 EUR, five jobs charged 0.10 and refunded. */
function oldDatabase(path: string): void {
  const db = openDatabase(path);
  try {
    migrate(db, 'print-accounts', PRINT_ACCOUNT_MIGRATIONS.slice(0, 4));
    const entry = db.prepare(
      `INSERT INTO print_ledger (id, request_id, account, kind, amount_minor, currency, balance_after,
           source, reason, queue, release_id, pages, created_at) VALUES (?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?)`,
    );
    entry.run(
      'entry-0',
      'deposit-0000',
      PATRON,
      'deposit',
      500,
      500,
      'cash-desk',
      null,
      null,
      null,
      null,
      AT,
    );
    const release = db.prepare(
      `INSERT INTO print_releases (id, request_id, account, queue, job_id, job_key, job_name, impressions,
           free_impressions, free_minor, price_minor, amount_minor, currency, state, refunded_minor,
           printed_impressions, outcome, created_at, updated_at, color)
         VALUES (?, ?, ?, 'public-bw', ?, ?, 'Letter', 1, 0, 0, 10, 10, 'EUR', ?, 10, ?, ?, ?, ?, 0)`,
    );
    OLD.forEach((old, n) => {
      const at = AT + (n + 1) * 1000;
      entry.run(
        `entry-${n}-charge`,
        `release:${old.id}:charge`,
        PATRON,
        'charge',
        -10,
        490,
        null,
        `job ${old.jobId}`,
        'public-bw',
        old.id,
        1,
        at,
      );
      entry.run(
        `entry-${n}-refund`,
        `release:${old.id}:settle`,
        PATRON,
        'refund',
        10,
        500,
        null,
        old.outcome,
        'public-bw',
        old.id,
        null,
        at + 500,
      );
      release.run(
        old.id,
        old.requestId,
        PATRON,
        old.jobId,
        old.jobKey,
        old.state,
        old.printed,
        old.outcome,
        at,
        at + 500,
      );
    });
  } finally {
    db.close();
  }
}

let dir: string;
let testDesk: TestDesk;
const call = jsonApi(() => testDesk.api);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-upgraded-'));
  const path = join(dir, 'carrel.db');
  oldDatabase(path);
  testDesk = await startTestDesk((config) => ({ ...config, storage: { ...config.storage, path } }));
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What the desk sees of the patron's money: the balance and how many ledger entries. */
async function account(): Promise<{ balanceMinor: number; entries: number }> {
  const { body } = await call<{ statement: { balanceMinor: number; entries: unknown[] } }>(
    'POST',
    '/api/v1/print/accounts/find',
    { patron: PATRON, limit: 500 },
  );
  return { balanceMinor: body.statement.balanceMinor, entries: body.statement.entries.length };
}

async function sendAgain(session: string, old: OldRelease) {
  const answer = await fetch(`${testDesk.api}/api/v1/print/station/release`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session, requestId: old.requestId, queue: 'public-bw', jobId: old.jobId }),
  });
  return {
    status: answer.status,
    replayed: answer.headers.get('idempotent-replayed'),
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    body: (await answer.json()) as any,
  };
}

describe('a release refused before the upgrade, sent again after it', () => {
  it('is answered its refusal, not 200 "refunded"; the one that reached the printer still answers its release; no money moves', async () => {
    const session = await stationLogin(testDesk.api, PATRON, '1234');
    const before = await account();
    expect(before).toEqual({ balanceMinor: 500, entries: 11 });

    const [held, deleted, first, gone, stopped] = OLD as [
      OldRelease,
      OldRelease,
      OldRelease,
      OldRelease,
      OldRelease,
    ];
    const refused = (jobStillWaiting: boolean, detail: string) => ({
      status: 409,
      replayed: 'true',
      body: { code: 'print_release_refused', jobStillWaiting, detail },
    });
    expect(await sendAgain(session, held)).toMatchObject(
      refused(
        true,
        'the print server would not send the job to the printer; the charge was refunded. The job is still waiting: try again, or ask at the desk',
      ),
    );
    expect(await sendAgain(session, deleted)).toMatchObject(
      refused(
        false,
        'the job was deleted at the print server before it could be printed; the charge was refunded',
      ),
    );
    // The first Carrel's answer named no more than that the job was not released: its print
    // server's words (an address, IPP's status) are not given to a station.
    expect(await sendAgain(session, first)).toMatchObject(
      refused(false, 'the print server would not send the job to the printer; the charge was refunded'),
    );
    expect(await sendAgain(session, gone)).toMatchObject(
      refused(
        false,
        'the job was deleted at the print server before it could be printed; the charge was refunded',
      ),
    );
    // It went to the printer and was answered so: the same answer, with what became of it since.
    expect(await sendAgain(session, stopped)).toMatchObject({
      status: 200,
      replayed: 'true',
      body: { release: { id: stopped.id, state: 'refunded', amountMinor: 10, refundedMinor: 10 } },
    });
    expect(await account()).toEqual(before);
  });
});
