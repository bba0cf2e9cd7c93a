/**
 * The print accounts' tables. `print_ledger` is append-only (triggers refuse
 * UPDATE and DELETE): money in (deposits, refunds) is positive, money out
 * (charges, payouts) negative, each entry carries the account's balance after
 * it, and each is unique by its request id. `print_releases` is the release
 * journal: one row per job released at a station, its state moving from
 * `charged` (money taken, Release-Job not yet confirmed) to `released`, and
 * then to `completed` or `refunded` as the printer reports.
 */
export const PRINT_ACCOUNT_MIGRATIONS = [
  `CREATE TABLE print_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    request_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('deposit', 'charge', 'refund', 'payout', 'adjustment')),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    source TEXT,
    staff TEXT,
    reason TEXT,
    queue TEXT,
    release_id TEXT,
    pages INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX print_ledger_by_account ON print_ledger (account, seq);
  CREATE INDEX print_ledger_by_time ON print_ledger (created_at);
  CREATE INDEX print_ledger_by_release ON print_ledger (release_id);
  CREATE TRIGGER print_ledger_append_only_update BEFORE UPDATE ON print_ledger
    BEGIN SELECT RAISE(ABORT, 'the print ledger is append-only'); END;
  CREATE TRIGGER print_ledger_append_only_delete BEFORE DELETE ON print_ledger
    BEGIN SELECT RAISE(ABORT, 'the print ledger is append-only'); END;
  CREATE TABLE print_releases (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    queue TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    job_key TEXT NOT NULL UNIQUE,
    job_name TEXT NOT NULL,
    impressions INTEGER NOT NULL,
    free_impressions INTEGER NOT NULL,
    free_minor INTEGER NOT NULL,
    price_minor INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('charged', 'released', 'completed', 'refunded')),
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    printed_impressions INTEGER,
    outcome TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX print_releases_by_state ON print_releases (state, created_at);
  CREATE INDEX print_releases_by_account ON print_releases (account, created_at);`,
  // Whether a released job was in colour, for the statistics (null for releases before it was kept).
  'ALTER TABLE print_releases ADD COLUMN color INTEGER',
  // Fewer pages written per release (15 to 9): the ledger's seq a plain rowid (entries are never
  // deleted, so it is never reused: AUTOINCREMENT's sqlite_sequence row bought nothing), no index
  // on the entry id or the release id (no query reads by either; the entry id is a random UUID);
  // releases keyed by their id with no rowid beside it, and only open releases indexed by state.
  `CREATE TABLE print_ledger_next (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('deposit', 'charge', 'refund', 'payout', 'adjustment')),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    source TEXT,
    staff TEXT,
    reason TEXT,
    queue TEXT,
    release_id TEXT,
    pages INTEGER,
    created_at INTEGER NOT NULL
  );
  INSERT INTO print_ledger_next SELECT seq, id, request_id, account, kind, amount_minor, currency,
    balance_after, source, staff, reason, queue, release_id, pages, created_at FROM print_ledger ORDER BY seq;
  DROP TABLE print_ledger;
  ALTER TABLE print_ledger_next RENAME TO print_ledger;
  DELETE FROM sqlite_sequence WHERE name = 'print_ledger';
  CREATE INDEX print_ledger_by_account ON print_ledger (account);
  CREATE INDEX print_ledger_by_time ON print_ledger (created_at);
  CREATE TRIGGER print_ledger_append_only_update BEFORE UPDATE ON print_ledger
    BEGIN SELECT RAISE(ABORT, 'the print ledger is append-only'); END;
  CREATE TRIGGER print_ledger_append_only_delete BEFORE DELETE ON print_ledger
    BEGIN SELECT RAISE(ABORT, 'the print ledger is append-only'); END;
  CREATE TABLE print_releases_next (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    queue TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    job_key TEXT NOT NULL UNIQUE,
    job_name TEXT NOT NULL,
    impressions INTEGER NOT NULL,
    free_impressions INTEGER NOT NULL,
    free_minor INTEGER NOT NULL,
    price_minor INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('charged', 'released', 'completed', 'refunded')),
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    printed_impressions INTEGER,
    outcome TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    color INTEGER
  ) WITHOUT ROWID;
  INSERT INTO print_releases_next SELECT id, request_id, account, queue, job_id, job_key, job_name,
    impressions, free_impressions, free_minor, price_minor, amount_minor, currency, state, refunded_minor,
    printed_impressions, outcome, created_at, updated_at, color FROM print_releases;
  DROP TABLE print_releases;
  ALTER TABLE print_releases_next RENAME TO print_releases;
  CREATE INDEX print_releases_open ON print_releases (created_at) WHERE state IN ('charged', 'released');
  CREATE INDEX print_releases_by_account ON print_releases (account, created_at);`,
  // Transfers of a patron's credit out of the ILS (ils-transfer-journal.ts): journaled `pending`
  // before the ILS is debited, `deposited` in the same transaction as the ledger's deposit.
  `CREATE TABLE print_ils_transfers (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    ils_kind TEXT NOT NULL,
    ils_patron TEXT NOT NULL,
    staff TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'deposited', 'failed')),
    ils_debit_id TEXT,
    entry_id TEXT,
    failure_code TEXT,
    failure TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX print_ils_transfers_by_state ON print_ils_transfers (state, created_at);`,
  // What a release refused by the print server (or refunded before it reached the printer) was
  // answered, as JSON {message, jobStillWaiting}: the same request sent again is answered with it.
  // Null for every other release, and for those refused before it was kept.
  'ALTER TABLE print_releases ADD COLUMN refusal TEXT',
  // The refusals of releases that never reached the printer, settled before step 5 kept them
  // (the same request sent again was answered 200 with the refunded release, read as printing):
  // rebuilt from the words their outcome was kept in, each Carrel's own. A job the print server
  // still held was answered 'still waiting: try again', so it is let go of, as settle() does now
  // (releases from before it did kept the job, and a new release of it was refused for ever).
  // A release that reached the printer and was stopped there keeps its answer, the release. The
  // words are those the old Carrels wrote, spelled out: not to change with today's wording.
  `UPDATE print_releases SET job_key = job_key || ' refused ' || id
     WHERE refusal IS NULL AND state = 'refunded' AND job_key NOT LIKE '% refused %'
       AND outcome = 'not printed: the print server would not send the job to the printer; the charge was refunded';
   UPDATE print_releases SET refusal = json_object(
       'message', CASE
         WHEN outcome = 'not printed: the print server would not send the job to the printer; the charge was refunded'
           THEN 'the print server would not send the job to the printer; the charge was refunded. The job is still waiting: try again, or ask at the desk'
         WHEN substr(outcome, 1, 13) = 'not printed: ' THEN substr(outcome, 14)
         WHEN substr(outcome, 1, 40) = 'the print server did not release the job'
           THEN 'the print server would not send the job to the printer; the charge was refunded'
         WHEN outcome = 'the job was canceled before it printed'
           THEN 'the job was cancelled at the print server before it printed; the charge was refunded'
         WHEN outcome = 'the job was aborted before it printed'
           THEN 'the printer stopped the job before it printed; the charge was refunded'
         ELSE 'the job was deleted at the print server before it could be printed; the charge was refunded'
       END,
       'jobStillWaiting', json(CASE WHEN outcome = 'not printed: the print server would not send the job to the printer; the charge was refunded'
         THEN 'true' ELSE 'false' END))
     WHERE refusal IS NULL AND state = 'refunded' AND (
       substr(outcome, 1, 13) = 'not printed: '
       OR substr(outcome, 1, 40) = 'the print server did not release the job'
       OR outcome IN ('the job was gone before it was released', 'the job was canceled before it printed',
         'the job was aborted before it printed'))`,
  // What a staff refund was answered: the release as it stood once the refund was made (what of it
  // changes later — its state, what was refunded, what printed, the outcome, when), by the refund's
  // request id. The same request sent again is answered with it, not with the release as it is by
  // then (another refund, the printer's end since). Refunds made before this step have none kept.
  `CREATE TABLE print_refund_answers (
    request_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    refunded_minor INTEGER NOT NULL,
    printed_impressions INTEGER,
    outcome TEXT,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;`,
  // A release at the printer refunded at the desk for the pages it had not printed (a jammed job's):
  // the pages it had printed then, and the rest of the job is cancelled at the print server, so the
  // pages refunded do not print once the printer is seen to. Null for every other release.
  'ALTER TABLE print_releases ADD COLUMN cancel_rest_after INTEGER',
  // What the print server last said of a release's job (its IPP state, and the pages the printer
  // reported printed), written as the follower hears it change: a Carrel killed mid-job goes on
  // from it when it is back — a job the print server purged meanwhile is charged the pages known
  // printed, a refund before the print server answers again counts them. Null when nothing was heard
  // (and for releases from before this step).
  `ALTER TABLE print_releases ADD COLUMN printer_state TEXT;
   ALTER TABLE print_releases ADD COLUMN printer_impressions INTEGER;`,
  // What a staff refund was answered of the rest of the job: the pages printed when the rest was
  // marked to be cancelled at the print server (by this refund or one before it), as it stood once
  // the refund was made. The same refund sent again says what became of the rest, as the first
  // answer did — not nothing, nor what a later refund marked. Null when no rest was cancelled then,
  // and for refunds kept before this step (answered without it, as before).
  'ALTER TABLE print_refund_answers ADD COLUMN cancel_rest_after INTEGER',
];
