/**
 * Card issues in SQLite: one row per issue, written before the printer is told anything (state
 * `printing`) and finished as `issued` or `failed` — a card is counted issued only once it left the
 * printer with its stripe read back right, or (a printer that cannot read a stripe back) written and
 * marked `written`, not verified. The patron is kept for staff (API, staff scope), never
 * logged, and forgotten with the card's number some time after the issue (`forgetPatrons`). Card numbers from the configured range come from a counter that only goes up, so a number
 * is never handed out twice, even for a card that failed.
 */
import { randomUUID } from 'node:crypto';
import { CarrelError } from '../../../core/errors.js';
import { type Database, migrate } from '../../storage/index.js';
import { CARD_ISSUE_MIGRATIONS, type CardIssueRecord, type CardIssueRow, recordOf } from './issue-rows.js';

export type { CardIssueRecord } from './issue-rows.js';

export interface IssuesPerDay {
  day: string;
  issued: number;
  failed: number;
}

/**
 * The condition that a row is an issue of a card printer taken out of the configuration: its two
 * parameters the JSON array of the ids configured now (`gone()`), null for none known (never).
 */
const GONE = `(? IS NOT NULL AND device NOT IN (SELECT value FROM json_each(?)))`;

export class CardIssueRecords {
  constructor(
    private readonly db: Database,
    private readonly device: string,
    /**
     * The desk's card printers configured now, by id, with what the desk calls each (its `name`
     * setting, or its id). An issue of a printer not in it is one of a printer taken out of the
     * configuration: no printer of its own to settle it, any printer of the desk lists and settles it.
     * Unsaid (records used alone), every printer named in the records counts as configured.
     */
    private readonly deskPrinters?: () => ReadonlyMap<string, string>,
  ) {
    migrate(db, 'card-issues', CARD_ISSUE_MIGRATIONS);
    // An issue left `printing` by a Carrel that stopped (SIGKILL, a power cut) may have become a
    // card: the printer may have made and ejected it with nobody left to hear. Its outcome is
    // unknown, as a link lost after the job went out: the patron's next card waits until staff have
    // looked in the output hopper (found there, or confirmNotPrinted), never a second working card.
    // So is one left `printing` at a printer taken out of the configuration since (replaced by one
    // with a new id): nobody would ever finish it, and the patron would be refused at every printer
    // (card_printing_elsewhere). A printer configured now finishes its own issues as it starts.
    db.prepare(
      `UPDATE card_issues SET result = 'failed', fault = 'outcome_unknown', finished_at = requested_at
       WHERE result = 'printing' AND (device = ? OR ${GONE})`,
    ).run(device, ...this.gone());
    // A chip write still marked was cut short: the process that made it stopped, perhaps after the
    // chip took the number and before it was recorded. Whether the chip works is not known until it
    // is read on the pad (Encode chip) or staff say the card is destroyed: it is not given up meanwhile.
    db.prepare(
      `UPDATE card_issues SET chip_write_cut_short_at = CASE WHEN chip_encoded = 0
         THEN chip_encoding_since ELSE chip_write_cut_short_at END, chip_encoding_since = NULL
       WHERE device = ? AND chip_encoding_since IS NOT NULL`,
    ).run(device);
  }

  /**
   * Runs `write` with SQLite's busy timeout at 0: a database another process holds locked refuses it
   * at once instead of holding the event loop (and every device of the desk) for the busy wait. For
   * a write tried again on a timer, which has nobody waiting on it. The timeout is put back after.
   */
  withoutBusyWait<T>(write: () => T): T {
    const busyTimeout = Number(this.db.pragmaValue('busy_timeout') ?? 0);
    this.db.pragma('busy_timeout = 0');
    try {
      return write();
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }

  /** Whether `device` is a card printer of the desk's configuration now (see `deskPrinters`). */
  configured(device: string): boolean {
    return this.deskPrinters?.().has(device) ?? true;
  }

  /** GONE's parameters: the ids of the desk's card printers configured now (JSON), null when unsaid. */
  private gone(): [string | null, string | null] {
    const ids = this.deskPrinters ? JSON.stringify([this.device, ...this.deskPrinters().keys()]) : null;
    return [ids, ids];
  }

  /** The number `allocate` would hand out next, allocating nothing (a preview's); null past the range. */
  peek(numbering: string, first: number, last: number): number | null {
    const row = this.db.prepare('SELECT next FROM card_number_counters WHERE numbering = ?').get(numbering) as
      | { next: number }
      | undefined;
    const next = Math.max(row?.next ?? first, first);
    return next > last ? null : next;
  }

  /** The next number of a range (by its key), never one handed out before. */
  allocate(numbering: string, first: number, last: number): number {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT next FROM card_number_counters WHERE numbering = ?')
        .get(numbering) as { next: number } | undefined;
      const next = Math.max(row?.next ?? first, first);
      if (next > last)
        throw new CarrelError(
          'card_range_exhausted',
          `every card number of ${numbering} up to ${last} is used`,
        );
      this.db
        .prepare(
          `INSERT INTO card_number_counters (numbering, next) VALUES (?, ?)
           ON CONFLICT (numbering) DO UPDATE SET next = excluded.next`,
        )
        .run(numbering, next + 1);
      return next;
    }, 'immediate');
  }

  /**
   * Throws unless the card numbered `cardNumber` may be replaced by a card for `patron`: a card of
   * this desk's (any of its printers) issued to that patron, not replaced yet, not being replaced
   * by a card printing now, and its chip not being written now. Otherwise the ILS step of the new card
   * would tell staff to block another patron's card, or one blocked already, or the chip write would
   * end as a second working card beside the new one. The words name neither the patron nor the card.
   */
  checkReplaceable(cardNumber: string, patron: string): void {
    // The newest issue of the number decides: a patron's barcode printed as the card number is
    // issued again under the same number, each reprint replacing the one before.
    const latest = this.db
      .prepare(
        `SELECT patron, replaced_by, chip_encoding_since FROM card_issues WHERE card_number = ? AND result = 'issued'
         ORDER BY requested_at DESC, rowid DESC LIMIT 1`,
      )
      .get(cardNumber) as
      | { patron: string; replaced_by: string | null; chip_encoding_since: string | null }
      | undefined;
    if (!latest)
      throw new CarrelError(
        'replaced_card_not_found',
        'no card with that number was issued at this desk (or its record has since been forgotten): ' +
          'print the new card without naming a card it replaces, and block the old one in the ILS',
      );
    if (latest.patron !== patron)
      throw new CarrelError(
        'replaced_card_other_patron',
        'the card named as replaced was issued to another patron: name one of this patron’s cards, or none',
      );
    if (latest.chip_encoding_since !== null)
      throw new CarrelError(
        'card_chip_being_encoded',
        'the chip of the card named as replaced is being encoded now, so nothing was printed: wait for the encoding to end, then print the new card replacing it',
      );
    const replacing = this.db
      .prepare(`SELECT 1 AS found FROM card_issues WHERE replaces = ? AND result = 'printing'`)
      .get(cardNumber);
    if (latest.replaced_by !== null || replacing !== undefined)
      throw new CarrelError(
        'replaced_card_already_replaced',
        latest.replaced_by !== null
          ? 'that card was already replaced by a later card: name the patron’s newest card as the one replaced'
          : 'that card is being replaced by a card printing now: wait for it, then name that card if it is lost too',
      );
  }

  /**
   * Throws unless no card for `patron` is printing at another printer of the desk
   * (`card_printing_elsewhere`): one being made there, or made there and not on record yet (its outcome
   * kept in memory until the database takes it, the row still `printing`), would be a second working
   * card for the patron. This printer's own issues come one at a time, and one it could not record is
   * recorded before it takes another (`CardIssuer`). The words name no one.
   */
  checkNonePrinting(patron: string): void {
    const printing = this.db
      .prepare(
        `SELECT device FROM card_issues WHERE patron = ? AND result = 'printing' AND device != ? LIMIT 1`,
      )
      .get(patron, this.device) as { device: string } | undefined;
    if (printing === undefined) return;
    const name = this.deskPrinters ? this.deskPrinters().get(printing.device) : printing.device;
    const where =
      name === undefined
        ? `card printer “${printing.device}”, no longer configured at this desk`
        : `the card printer “${name}”`;
    throw new CarrelError(
      'card_printing_elsewhere',
      `a card for this patron is being printed at ${where}, or was printed there and is not on record yet, so nothing was printed: give the patron the card from that printer once it is out; if they need another (it is lost or spoilt), wait for that card’s issue to end, then print a replacement naming it (Reprint)`,
      { details: { printer: printing.device } },
    );
  }

  /**
   * Records an issue as printing, with whether it writes the stripe. One that replaces a card is
   * checked again here, in the same transaction as its row (`checkReplaceable`): two printers of the
   * desk cannot both replace a card, nor print a card each for one patron at once (`checkNonePrinting`). With `notInHopper` (staff said the patron's last card, its
   * outcome unknown, is not in the output hopper) that issue keeps who said so, and when.
   */
  begin(issue: {
    cardNumber: string;
    patron: string;
    template: string;
    staff: string;
    replaces?: string | undefined;
    /** Whether the issue writes the number on the stripe; unsaid, as configured. */
    magstripe?: boolean | undefined;
    notInHopper?: boolean | undefined;
    at: string;
  }): string {
    const id = randomUUID();
    this.db.transaction(() => {
      if (issue.replaces !== undefined) this.checkReplaceable(issue.replaces, issue.patron);
      this.checkNonePrinting(issue.patron);
      if (issue.notInHopper)
        this.db
          .prepare(
            `UPDATE card_issues SET not_in_hopper_by = ?, not_in_hopper_at = ?
             WHERE fault = 'outcome_unknown' AND id = (SELECT id FROM card_issues WHERE patron = ?
               AND result != 'printing' ORDER BY requested_at DESC, rowid DESC LIMIT 1)`,
          )
          .run(issue.staff, issue.at, issue.patron);
      this.db
        .prepare(
          `INSERT INTO card_issues (id, device, card_number, patron, template, staff, requested_at, result, replaces,
             magstripe_asked)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'printing', ?, ?)`,
        )
        .run(
          id,
          this.device,
          issue.cardNumber,
          issue.patron,
          issue.template,
          issue.staff,
          issue.at,
          issue.replaces ?? null,
          issue.magstripe === undefined ? null : issue.magstripe ? 1 : 0,
        );
    }, 'immediate');
    return id;
  }

  finish(
    id: string,
    outcome: {
      result: 'issued' | 'failed';
      fault?: string | undefined;
      magstripe?: 'verified' | 'written' | null | undefined;
      attempts: number;
      at: string;
    },
  ): CardIssueRecord {
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE card_issues SET result = ?, fault = ?, magstripe = ?, attempts = ?, finished_at = ? WHERE id = ?',
        )
        .run(
          outcome.result,
          outcome.fault ?? null,
          outcome.magstripe ?? null,
          outcome.attempts,
          outcome.at,
          id,
        );
      const row = this.get(id)!;
      if (outcome.result === 'issued' && row.replaces)
        this.db
          .prepare(
            `UPDATE card_issues SET replaced_by = ? WHERE card_number = ? AND result = 'issued' AND id != ?`,
          )
          .run(row.cardNumber, row.replaces, id);
    }, 'immediate');
    return this.get(id)!;
  }

  /**
   * Forgets who the issues finished before `before` (epoch ms) were for: the patron, the card's
   * number (an ILS may use it as the patron's barcode), the chip's UID (any reader tells the card the
   * patron carries by it, and a campus system may know its holder by it) and the numbers of the cards
   * replaced. What stays names no one: what the statistics count (when, which template, by whom, the
   * outcome, whether it was a reprint) and what staff settled of the card — its ILS step done, its
   * chip given up or encoded (a working card out there, never to be given up as thrown away).
   * Returns how many issues were forgotten.
   */
  forgetPatrons(before: number): number {
    const forgotten = this.db
      .prepare(
        `UPDATE card_issues SET patron = '', card_number = '', rfid_uid = NULL, chip_write_failed_uid = NULL,
           replaces = CASE WHEN replaces IS NULL THEN NULL ELSE '' END,
           replaced_by = CASE WHEN replaced_by IS NULL THEN NULL ELSE '' END
         WHERE device = ? AND finished_at IS NOT NULL AND finished_at < ? AND patron != ''`,
      )
      .run(this.device, new Date(before).toISOString()).changes;
    // secure_delete zeroed the old values in the file; the checkpoint takes their pages out of the log.
    if (Number(forgotten) > 0) this.db.checkpoint();
    return Number(forgotten);
  }

  /**
   * Notes that an issued card's chip is being written from `at`, unless it already is (false): until
   * `encodingEnded`, the card is not replaced, and its chip neither given up nor written again. Made
   * durable before the chip is written: a mark that survives a crash tells the next start that the
   * chip may hold the number (`chipWriteCutShortAt`); one lost would leave a working chip recorded as
   * not encoded, to be thrown away and its number issued again. Refused while a card replacing it
   * is printing (at any printer of the desk), the mirror of `checkReplaceable`: the print ends as the
   * new card, and the write as a second working card beside it. The words name no card.
   */
  encodingStarted(id: string, at: string): boolean {
    const replacing = this.db
      .prepare(
        `SELECT 1 AS found FROM card_issues r JOIN card_issues c ON r.replaces = c.card_number
         WHERE c.id = ? AND r.result = 'printing'`,
      )
      .get(id);
    if (replacing !== undefined)
      throw new CarrelError(
        'card_being_replaced',
        'a new card replacing this one is being printed now, so nothing was written: its chip would make a second working card beside the new one — wait for the print to end: printed, encode the new card’s chip and throw this one away; not printed, press Encode chip again',
      );
    return (
      Number(
        this.db
          .prepare(
            'UPDATE card_issues SET chip_encoding_since = ? WHERE id = ? AND chip_encoding_since IS NULL',
          )
          .run(at, id).changes,
      ) === 1
    );
  }

  /**
   * Notes that the write of an issued card's chip has ended, written or not. Relaxed: a mark that
   * outlives a power cut makes the card's chip unknown at the next start, never a working one given up.
   */
  encodingEnded(id: string): void {
    this.db.relaxedDurability(() =>
      this.db.prepare('UPDATE card_issues SET chip_encoding_since = NULL WHERE id = ?').run(id),
    );
  }

  /**
   * Notes that a write of an issued card's chip, begun at `at` on the chip `uid`, failed partway in a
   * running Carrel (a card lifted mid-write): the chip may hold part of the number, or all of it, so
   * it is neither encoded nor free to give up until it is read on the pad or the card destroyed. The
   * UID is forgotten with the patron: a record forgotten keeps only that a write was cut short.
   */
  writeFailed(id: string, uid: string, at: string): void {
    this.db
      .prepare(
        `UPDATE card_issues SET chip_write_cut_short_at = ?,
           chip_write_failed_uid = CASE WHEN patron = '' THEN NULL ELSE ? END
         WHERE id = ? AND chip_encoded = 0`,
      )
      .run(at, uid, id);
  }

  /** Whether an issued card's chip is being written now. */
  chipBeingEncoded(id: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 AS found FROM card_issues WHERE id = ? AND chip_encoding_since IS NOT NULL')
        .get(id) !== undefined
    );
  }

  /**
   * Notes the chip an issued card's number was encoded on. Its UID is not kept for a record forgotten
   * while the chip was written: only that it was encoded.
   */
  encoded(id: string, uid: string): CardIssueRecord {
    this.db
      .prepare(
        `UPDATE card_issues SET chip_encoded = 1, chip_write_cut_short_at = NULL, chip_write_failed_uid = NULL,
           rfid_uid = CASE WHEN patron = '' THEN NULL ELSE ? END WHERE id = ?`,
      )
      .run(uid, id);
    return this.get(id)!;
  }

  /**
   * Notes what staff settled of an issued card at `at`: its ILS step done, or its chip given up (which
   * settles a write cut short too: staff said the card is destroyed). Said again, it keeps the first
   * time (a page that lost the answer may say it twice).
   */
  settled(id: string, what: 'ils_done' | 'chip_given_up', at: string): CardIssueRecord {
    if (what === 'ils_done')
      this.db
        .prepare('UPDATE card_issues SET ils_done_at = COALESCE(ils_done_at, ?) WHERE id = ?')
        .run(at, id);
    else
      this.db
        .prepare(
          `UPDATE card_issues SET chip_given_up_at = COALESCE(chip_given_up_at, ?), chip_write_cut_short_at = NULL,
             chip_write_failed_uid = NULL
           WHERE id = ?`,
        )
        .run(at, id);
    return this.get(id)!;
  }

  /**
   * Records an issue that ended with its outcome unknown (`outcome_unknown`) as issued: staff found
   * its card in the printer's output hopper. Its number is the patron's card from now on (a card it
   * replaces is marked replaced, as `finish` does), its ILS step and chip are to be done as for any
   * issued card, and the statistics count it issued when it finished. Refused, in words naming no
   * one, for an issue whose outcome is known (card_outcome_known), one whose record was forgotten
   * (card_number_forgotten), and one the patron was printed a later card after (card_replaced: the
   * card in the hopper is a second one). Its stripe is what the issue asked for: `printerStripe`
   * (what the printer makes of one) when it asked for the number on the stripe, none when it did not
   * (`configuredStripe` for an issue recorded before that was kept). `staff` said so at `at`.
   */
  foundInHopper(
    id: string,
    found: { printerStripe: 'verified' | 'written'; configuredStripe: boolean; staff: string; at: string },
  ): CardIssueRecord {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT *, rowid FROM card_issues WHERE id = ?').get(id) as
        | (CardIssueRow & { rowid: number })
        | undefined;
      if (!row) throw new CarrelError('card_issue_not_found', 'no such card issue');
      if (row.result !== 'failed' || row.fault !== 'outcome_unknown')
        throw new CarrelError(
          'card_outcome_known',
          row.result === 'issued'
            ? 'this card is recorded issued already, so nothing changed: its ILS step and chip are offered on the card page'
            : row.result === 'printing'
              ? 'this card is being printed now, so nothing changed: wait for the print to end'
              : `this issue failed (${row.fault ?? 'no fault named'}) with the printer saying the card was not made, so it was not recorded issued: a card in the output hopper is not this issue’s — print the patron’s card again`,
        );
      if (row.patron === '' || row.card_number === '')
        throw new CarrelError(
          'card_number_forgotten',
          'its record was forgotten (its card number and patron with it), so it was not recorded issued: print the patron a new card and cut this one through',
        );
      const later = this.db
        .prepare(
          `SELECT 1 AS found FROM card_issues WHERE patron = ? AND id != ? AND result IN ('issued', 'printing')
             AND (requested_at > ? OR (requested_at = ? AND rowid > ?))`,
        )
        .get(row.patron, id, row.requested_at, row.requested_at, row.rowid);
      if (later !== undefined)
        throw new CarrelError(
          'card_replaced',
          'a later card was printed for this patron (staff said this one was not in the output hopper), so it was not recorded issued: the later card is the patron’s — cut this one through',
        );
      const stripeAsked =
        row.magstripe_asked === null ? found.configuredStripe : Number(row.magstripe_asked) === 1;
      this.db
        .prepare(
          `UPDATE card_issues SET result = 'issued', fault = NULL, magstripe = ?, found_in_hopper_by = ?,
             found_in_hopper_at = ? WHERE id = ?`,
        )
        .run(stripeAsked ? found.printerStripe : null, found.staff, found.at, id);
      if (row.replaces)
        this.db
          .prepare(
            `UPDATE card_issues SET replaced_by = ? WHERE card_number = ? AND result = 'issued' AND id != ?`,
          )
          .run(row.card_number, row.replaces, id);
      return this.get(id)!;
    }, 'immediate');
  }

  get(id: string): CardIssueRecord | undefined {
    const row = this.db.prepare('SELECT * FROM card_issues WHERE id = ?').get(id) as CardIssueRow | undefined;
    return row ? recordOf(row) : undefined;
  }

  /**
   * Whether the patron's latest issue at this desk (any of its printers) ended with its outcome
   * unknown (`outcome_unknown`: the printer may have made the card while Carrel could not ask it).
   * A card issued to them since settles it.
   */
  outcomeUnknown(patron: string): boolean {
    const latest = this.db
      .prepare(
        `SELECT fault FROM card_issues WHERE patron = ? AND result != 'printing'
         ORDER BY requested_at DESC, rowid DESC LIMIT 1`,
      )
      .get(patron) as { fault: string | null } | undefined;
    return latest?.fault === 'outcome_unknown';
  }

  /** Whether a card with this number was issued and not replaced. */
  issuedNumber(cardNumber: string): boolean {
    return (
      this.db
        .prepare(
          `SELECT 1 AS found FROM card_issues WHERE card_number = ? AND result = 'issued' AND replaced_by IS NULL`,
        )
        .get(cardNumber) !== undefined
    );
  }

  latest(limit: number): CardIssueRecord[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM card_issues WHERE device = ? OR ${GONE}
           ORDER BY requested_at DESC, rowid DESC LIMIT ?`,
        )
        .all(this.device, ...this.gone(), limit) as unknown as CardIssueRow[]
    ).map(recordOf);
  }

  /**
   * Issues finished in [from, to) (epoch ms) counted per UTC quarter hour (since the epoch), by
   * result and whether the card replaced another (a reprint): the statistics, never a patron.
   */
  countsByQuarter(
    from: number,
    to: number,
  ): Array<{ quarter: number; result: 'issued' | 'failed'; reprint: boolean; count: number }> {
    const rows = this.db
      .prepare(
        `SELECT CAST(strftime('%s', finished_at) AS INTEGER) / 900 AS quarter, result,
                replaces IS NOT NULL AS reprint, COUNT(*) AS count
         FROM card_issues
         WHERE device = ? AND finished_at >= ? AND finished_at < ? AND result IN ('issued', 'failed')
         GROUP BY 1, 2, 3`,
      )
      .all(this.device, new Date(from).toISOString(), new Date(to).toISOString()) as unknown as Array<{
      quarter: number;
      result: 'issued' | 'failed';
      reprint: number;
      count: number;
    }>;
    return rows.map((row) => ({
      quarter: Number(row.quarter),
      result: row.result,
      reprint: Number(row.reprint) === 1,
      count: Number(row.count),
    }));
  }

  /** Cards issued (and issues failed) per day, the last `days` days that had any, newest first. */
  perDay(days: number): IssuesPerDay[] {
    const rows = this.db
      .prepare(
        `SELECT substr(finished_at, 1, 10) AS day,
                SUM(result = 'issued') AS issued, SUM(result = 'failed') AS failed
         FROM card_issues WHERE device = ? AND finished_at IS NOT NULL
         GROUP BY day ORDER BY day DESC LIMIT ?`,
      )
      .all(this.device, days) as unknown as Array<{ day: string; issued: number; failed: number }>;
    return rows.map((row) => ({
      day: String(row.day),
      issued: Number(row.issued),
      failed: Number(row.failed),
    }));
  }
}
