/**
 * The card_issues table: its migrations, its row as SQLite gives it, and the record of an issue read
 * from a row (CardIssueRecords in issue-records.ts reads and writes it).
 */
/** The card_issues table and the card number counters, step by step (storage's `migrate`). */
export const CARD_ISSUE_MIGRATIONS = [
  `CREATE TABLE card_issues (
     id TEXT PRIMARY KEY,
     device TEXT NOT NULL,
     card_number TEXT NOT NULL,
     patron TEXT NOT NULL,
     template TEXT NOT NULL,
     staff TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     finished_at TEXT,
     result TEXT NOT NULL CHECK (result IN ('printing', 'issued', 'failed')),
     fault TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     replaces TEXT,
     replaced_by TEXT
   );
   CREATE INDEX card_issues_number ON card_issues (card_number);
   CREATE INDEX card_issues_finished ON card_issues (finished_at);
   CREATE TABLE card_number_counters (
     numbering TEXT PRIMARY KEY,
     next INTEGER NOT NULL
   );`,
  'ALTER TABLE card_issues ADD COLUMN rfid_uid TEXT',
  `ALTER TABLE card_issues ADD COLUMN magstripe TEXT CHECK (magstripe IN ('verified', 'written'))`,
  // What staff settled of a printed card: its ILS step done, its chip given up (the card thrown away).
  // Cards issued before were settled, or forgotten, on the page that printed them: not offered again.
  `ALTER TABLE card_issues ADD COLUMN ils_done_at TEXT;
   ALTER TABLE card_issues ADD COLUMN chip_given_up_at TEXT;
   UPDATE card_issues SET ils_done_at = finished_at, chip_given_up_at = finished_at
   WHERE result = 'issued' AND finished_at IS NOT NULL;`,
  // That a card's chip was encoded, kept when its UID is forgotten with the patron (a working card
  // is never given up). A record forgotten before this step has lost it with the UID.
  `ALTER TABLE card_issues ADD COLUMN chip_encoded INTEGER NOT NULL DEFAULT 0;
   UPDATE card_issues SET chip_encoded = 1 WHERE rfid_uid IS NOT NULL;`,
  // When the card's chip began to be written, while it is: seen by every printer of the desk.
  'ALTER TABLE card_issues ADD COLUMN chip_encoding_since TEXT',
  // When a chip write that Carrel did not live to finish began: the chip may hold the number or not.
  'ALTER TABLE card_issues ADD COLUMN chip_write_cut_short_at TEXT',
  // The chip a write went to that failed partway (the card lifted off the pad): it may hold part of
  // the number, or all of it.
  'ALTER TABLE card_issues ADD COLUMN chip_write_failed_uid TEXT',
  // Whether the issue asked for the number on the stripe (1) or not (0): a card found in the output
  // hopper is recorded with the stripe asked for it. Null for issues recorded before: as configured.
  // Who said an outcome-unknown issue's card was in the output hopper, or not there, and when.
  `ALTER TABLE card_issues ADD COLUMN magstripe_asked INTEGER;
   ALTER TABLE card_issues ADD COLUMN found_in_hopper_by TEXT;
   ALTER TABLE card_issues ADD COLUMN found_in_hopper_at TEXT;
   ALTER TABLE card_issues ADD COLUMN not_in_hopper_by TEXT;
   ALTER TABLE card_issues ADD COLUMN not_in_hopper_at TEXT;`,
];

export interface CardIssueRecord {
  issueId: string;
  device: string;
  cardNumber: string;
  patron: string;
  template: string;
  staff: string;
  requestedAt: string;
  finishedAt: string | null;
  result: 'printing' | 'issued' | 'failed';
  fault: string | null;
  attempts: number;
  replaces: string | null;
  replacedBy: string | null;
  /**
   * The UID of the card's chip, once its card number was written there and read back; forgotten
   * with the patron (`chipEncoded` keeps that it was written).
   */
  rfidUid: string | null;
  /**
   * Whether the card's number was written on its chip and read back: a working card. Kept when the
   * patron, the number and the UID are forgotten, so a forgotten working card is not given up.
   */
  chipEncoded: boolean;
  /**
   * The card number on the stripe: `verified` (read back by the printer), `written` (sent to a
   * printer that cannot read its stripe back: not verified), null (no stripe written).
   */
  magstripe: 'verified' | 'written' | null;
  /** When staff said the card's ILS step (its number given, the card it replaces blocked) was done. */
  ilsDoneAt: string | null;
  /** When staff gave up encoding the card's chip (the card thrown away). */
  chipGivenUpAt: string | null;
  /**
   * When a write of the card's chip began that Carrel did not live to finish (it stopped between
   * writing the chip and recording it): the chip may hold the number, a working card, or not. Null
   * once the chip is encoded (read on the pad) or given up with the card destroyed, and when no write
   * was cut short.
   */
  chipWriteCutShortAt: string | null;
  /**
   * The chip (its UID) a write went to that failed partway in a running Carrel (the card lifted off
   * the pad, the chip not answering, a read-back that differed), `chipWriteCutShortAt` then when that
   * write began: the chip may hold part of the number, or all of it. That chip is written again,
   * whatever it holds; another is taken only holding the number. Null once the chip is encoded or
   * given up, and when no write failed so.
   */
  chipWriteFailedUid: string | null;
  /**
   * Who said the card of this issue, its outcome unknown, was in the printer's output hopper (the name
   * of their token; "at this desk" on a desk without tokens), and when: recorded issued then.
   */
  foundInHopperBy: string | null;
  foundInHopperAt: string | null;
  /**
   * Who said the card of this issue, its outcome unknown, was not in the output hopper, printing the
   * patron's card again (confirmNotPrinted), and when.
   */
  notInHopperBy: string | null;
  notInHopperAt: string | null;
}

/** A row of card_issues as SQLite gives it. */
export interface CardIssueRow {
  id: string;
  device: string;
  card_number: string;
  patron: string;
  template: string;
  staff: string;
  requested_at: string;
  finished_at: string | null;
  result: CardIssueRecord['result'];
  fault: string | null;
  attempts: number;
  replaces: string | null;
  replaced_by: string | null;
  rfid_uid: string | null;
  chip_encoded: number;
  magstripe: 'verified' | 'written' | null;
  ils_done_at: string | null;
  chip_given_up_at: string | null;
  chip_write_cut_short_at: string | null;
  chip_write_failed_uid: string | null;
  magstripe_asked: number | null;
  found_in_hopper_by: string | null;
  found_in_hopper_at: string | null;
  not_in_hopper_by: string | null;
  not_in_hopper_at: string | null;
}

/** The record of an issue, in the API's words, from its row. */
export function recordOf(row: CardIssueRow): CardIssueRecord {
  return {
    issueId: row.id,
    device: row.device,
    cardNumber: row.card_number,
    patron: row.patron,
    template: row.template,
    staff: row.staff,
    requestedAt: row.requested_at,
    finishedAt: row.finished_at,
    result: row.result,
    fault: row.fault,
    attempts: row.attempts,
    replaces: row.replaces,
    replacedBy: row.replaced_by,
    rfidUid: row.rfid_uid,
    chipEncoded: Number(row.chip_encoded) === 1,
    magstripe: row.magstripe ?? null,
    ilsDoneAt: row.ils_done_at ?? null,
    chipGivenUpAt: row.chip_given_up_at ?? null,
    chipWriteCutShortAt: row.chip_write_cut_short_at ?? null,
    chipWriteFailedUid: row.chip_write_failed_uid ?? null,
    foundInHopperBy: row.found_in_hopper_by ?? null,
    foundInHopperAt: row.found_in_hopper_at ?? null,
    notInHopperBy: row.not_in_hopper_by ?? null,
    notInHopperAt: row.not_in_hopper_at ?? null,
  };
}
