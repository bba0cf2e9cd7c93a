/**
 * The cash box report: what a device's cash box should hold since staff last
 * emptied it (the credits journaled since), by denomination, with the money
 * that went in unverified or unheld listed apart; and the emptying record —
 * who emptied it, what they counted, the variance. Read from the credit journal.
 */
import { CarrelError } from '../../../core/errors.js';
import { moneyText } from '../../circulation/money.js';
import { actorAsKept } from '../../contracts/actor.js';
import type { Database } from '../../storage/index.js';

export interface CashBoxReport {
  device: string;
  /**
   * The last emptying: its id (which an emptying names to say which box staff saw), when, and by
   * whom; null if never.
   */
  lastEmptied: { id: number; at: string; by: string } | null;
  currency: string | null;
  /** What should be in it: every credit since the last emptying. */
  expectedMinor: number;
  count: number;
  byDenomination: Array<{ valueMinor: number; count: number }>;
  /** Credited with no payment holding the device (staff decide where it belongs). */
  unheld: { count: number; valueMinor: number };
  /** May have gone in but could not be credited (a counter jump, an unknown note): count the box. */
  unverified: Array<{ id: number; reason: string; valueMinor: number | null; at: string }>;
}

export interface CashBoxEmptying {
  id: number;
  device: string;
  at: string;
  by: string;
  expectedMinor: number;
  currency: string | null;
  countedMinor: number | null;
  /** counted − expected; null when nothing was counted. */
  varianceMinor: number | null;
  note: string | null;
}

interface EmptyingRow {
  id: number;
  device: string;
  at: number;
  emptied_by: string;
  last_credit: number;
  expected_minor: number;
  currency: string | null;
  counted_minor: number | null;
  variance_minor: number | null;
  note: string | null;
}

export class CashBox {
  /** Over the credit journal's tables: make the CreditJournal on `db` first. */
  constructor(
    private readonly db: Database,
    private readonly device: string,
  ) {}

  report(): CashBoxReport {
    const last = this.lastEmptying();
    const since = last?.last_credit ?? 0;
    const rows = this.db
      .prepare(
        `SELECT value_minor AS value, currency, COUNT(*) AS n, SUM(holder IS NULL) AS unheld FROM cash_credits
         WHERE device = ? AND id > ? AND kind = 'credit' GROUP BY value_minor, currency ORDER BY value_minor`,
      )
      .all(this.device, since) as Array<{ value: number; currency: string; n: number; unheld: number }>;
    const unverified = this.db
      .prepare(
        `SELECT id, reason, value_minor, at FROM cash_credits
         WHERE device = ? AND id > ? AND kind = 'unverified' ORDER BY id`,
      )
      .all(this.device, since) as Array<{
      id: number;
      reason: string;
      value_minor: number | null;
      at: number;
    }>;
    return {
      device: this.device,
      lastEmptied: last
        ? { id: last.id, at: new Date(last.at).toISOString(), by: actorAsKept(last.emptied_by) }
        : null,
      currency: rows[0]?.currency ?? null,
      expectedMinor: rows.reduce((sum, row) => sum + row.value * row.n, 0),
      count: rows.reduce((sum, row) => sum + row.n, 0),
      byDenomination: rows.map((row) => ({ valueMinor: row.value, count: row.n })),
      unheld: {
        count: rows.reduce((sum, row) => sum + row.unheld, 0),
        valueMinor: rows.reduce((sum, row) => sum + row.value * row.unheld, 0),
      },
      unverified: unverified.map((row) => ({
        id: row.id,
        reason: row.reason,
        valueMinor: row.value_minor,
        at: new Date(row.at).toISOString(),
      })),
    };
  }

  /**
   * Records an emptying: what was expected up to the last credit, what was counted, the variance.
   * What staff saw guards against an emptying recorded twice (two staff at once, an empty box
   * counted twice) or over money taken meanwhile: `seen.lastEmptyingId`, the last emptying the
   * report named (null: never emptied), refuses one made after another emptying even where the
   * box should hold the same; `seen.expectedMinor` one made after money was taken. Either way
   * nothing is recorded (cash_box_changed).
   */
  emptied(
    by: string,
    at: number,
    countedMinor?: number,
    note?: string,
    seen: { expectedMinor?: number | undefined; lastEmptyingId?: number | null | undefined } = {},
  ): CashBoxEmptying {
    const id = this.db.transaction(() => {
      if (seen.lastEmptyingId !== undefined) {
        const last = this.lastEmptying();
        if ((last?.id ?? null) !== seen.lastEmptyingId) throw this.emptiedSince(last, seen.lastEmptyingId);
      }
      const report = this.report();
      if (seen.expectedMinor !== undefined && seen.expectedMinor !== report.expectedMinor)
        throw this.changed(report.expectedMinor, seen.expectedMinor, report.currency);
      const last = this.db
        .prepare('SELECT COALESCE(MAX(id), 0) AS id FROM cash_credits WHERE device = ?')
        .get(this.device) as { id: number };
      const variance = countedMinor === undefined ? null : countedMinor - report.expectedMinor;
      const result = this.db
        .prepare(
          `INSERT INTO cash_box_emptyings
           (device, at, emptied_by, last_credit, expected_minor, currency, counted_minor, variance_minor, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          this.device,
          at,
          by,
          last.id,
          report.expectedMinor,
          report.currency,
          countedMinor ?? null,
          variance,
          note ?? null,
        );
      return Number(result.lastInsertRowid);
    }, 'immediate');
    const row = this.db.prepare('SELECT * FROM cash_box_emptyings WHERE id = ?').get(id) as EmptyingRow;
    return emptyingView(row);
  }

  emptyings(limit = 20): CashBoxEmptying[] {
    return (
      this.db
        .prepare('SELECT * FROM cash_box_emptyings WHERE device = ? ORDER BY id DESC LIMIT ?')
        .all(this.device, limit) as EmptyingRow[]
    ).map(emptyingView);
  }

  private emptiedSince(last: EmptyingRow | undefined, seenId: number | null): CarrelError {
    // A box never emptied named as emptied: a report from another database (a restore), or another box's.
    const what = last
      ? `was emptied again since it was read (by ${actorAsKept(last.emptied_by)}, at ${new Date(last.at).toISOString()})`
      : `has never been emptied, not as emptying ${seenId} says`;
    return new CarrelError(
      'cash_box_changed',
      `the cash box of ${this.device} ${what}: nothing was recorded, read the cash box again`,
      last ? { details: { lastEmptyingId: last.id } } : {},
    );
  }

  private changed(nowMinor: number, seenMinor: number, currency: string | null): CarrelError {
    // An emptied box has no credits to say its currency: the device's last credit says it.
    const known =
      currency ??
      (
        this.db
          .prepare(
            'SELECT currency FROM cash_credits WHERE device = ? AND currency IS NOT NULL ORDER BY id DESC LIMIT 1',
          )
          .get(this.device) as { currency: string } | undefined
      )?.currency;
    const text = (minor: number) => (known ? moneyText(minor, known) : `${minor} (minor units)`);
    return new CarrelError(
      'cash_box_changed',
      `the cash box of ${this.device} should hold ${text(nowMinor)} now, not ${text(seenMinor)}: it was emptied or took money meanwhile; nothing was recorded, read the cash box again`,
      { details: { expectedMinor: nowMinor } },
    );
  }

  private lastEmptying(): EmptyingRow | undefined {
    return this.db
      .prepare('SELECT * FROM cash_box_emptyings WHERE device = ? ORDER BY id DESC LIMIT 1')
      .get(this.device) as EmptyingRow | undefined;
  }
}

function emptyingView(row: EmptyingRow): CashBoxEmptying {
  return {
    id: row.id,
    device: row.device,
    at: new Date(row.at).toISOString(),
    by: actorAsKept(row.emptied_by),
    expectedMinor: row.expected_minor,
    currency: row.currency,
    countedMinor: row.counted_minor,
    varianceMinor: row.variance_minor,
    note: row.note,
  };
}
