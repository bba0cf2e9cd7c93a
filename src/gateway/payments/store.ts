/**
 * Payments in SQLite, committed before anything is acknowledged: the payment
 * (who, what for, how much, its state), its lines (each fee or top-up, what of
 * the money went to it, how its posting went), staff payouts. The money
 * itself is the credit journal's (cash_credits, by holder = payment id). The
 * patron's barcode is kept — a 37 cannot be posted without it — and shown to
 * nobody; the PIN never is.
 */
import type { FeeType } from '../../protocols/sip2/index.js';
import type {
  PaymentCheckOutcome,
  PaymentLineState,
  PaymentLineView,
  PaymentPurpose,
  PaymentState,
  PaymentView,
} from '../contracts/payments.js';
import { type Database, migrate } from '../storage/index.js';

export const PAYMENT_MIGRATIONS = [
  `CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    terminal TEXT NOT NULL,
    patron TEXT NOT NULL,
    patron_name TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('fees', 'print-topup')),
    currency TEXT NOT NULL,
    amount_due_minor INTEGER NOT NULL CHECK (amount_due_minor > 0),
    state TEXT NOT NULL CHECK (state IN ('collecting', 'settling', 'completed', 'cancelled')),
    devices TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    to_print_minor INTEGER NOT NULL DEFAULT 0,
    owed_to_patron_minor INTEGER NOT NULL DEFAULT 0,
    paid_out_minor INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX payments_by_state ON payments (state);
  CREATE INDEX payments_by_end ON payments (ended_at);
  CREATE TABLE payment_lines (
    payment TEXT NOT NULL REFERENCES payments (id),
    line INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'print-topup', 'overpayment')),
    fee_id TEXT,
    fee_type TEXT,
    description TEXT,
    due_minor INTEGER NOT NULL,
    owed_before_minor INTEGER,
    paid_minor INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    transaction_id TEXT NOT NULL,
    message TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (payment, line)
  );
  CREATE INDEX payment_lines_by_time ON payment_lines (updated_at);
  CREATE TABLE payment_payouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment TEXT NOT NULL REFERENCES payments (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    staff TEXT NOT NULL,
    at INTEGER NOT NULL
  );`,
  // What the payment was settled with: money credited to it after that (a device out of reach when
  // it ended, read when back) is owed back to the patron.
  'ALTER TABLE payments ADD COLUMN settled_minor INTEGER;',
  // Staff checked a payment whose lines failed at the library system: what they found, who, when.
  `CREATE TABLE payment_checks (
    payment TEXT PRIMARY KEY REFERENCES payments (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('already-recorded', 'recorded-by-hand')),
    note TEXT,
    staff TEXT NOT NULL,
    at INTEGER NOT NULL
  );`,
];

/** A failed line staff have not checked yet: money whose fate is still to be found out. */
const UNCHECKED_FAILED = `l.state = 'failed' AND NOT EXISTS (SELECT 1 FROM payment_checks k WHERE k.payment = l.payment)`;

export interface PaymentRow {
  id: string;
  terminal: string;
  patron: string;
  patron_name: string;
  purpose: PaymentPurpose['kind'];
  currency: string;
  amount_due_minor: number;
  state: PaymentState;
  devices: string;
  started_at: number;
  ended_at: number | null;
  end_reason: PaymentView['endReason'] | null;
  to_print_minor: number;
  owed_to_patron_minor: number;
  paid_out_minor: number;
  /** The credits it was settled with; null until it ends. */
  settled_minor: number | null;
}

export interface LineRow {
  payment: string;
  line: number;
  kind: PaymentLineView['kind'];
  fee_id: string | null;
  fee_type: FeeType | null;
  description: string | null;
  due_minor: number;
  owed_before_minor: number | null;
  paid_minor: number;
  state: PaymentLineState;
  transaction_id: string;
  message: string | null;
  updated_at: number;
}

export interface CheckRow {
  payment: string;
  outcome: PaymentCheckOutcome;
  note: string | null;
  staff: string;
  at: number;
}

/** Cash staff handed back to the patron from a payment: how much, who, when. */
export interface PayoutRow {
  amount_minor: number;
  staff: string;
  at: number;
}

export interface NewLine {
  kind: PaymentLineView['kind'];
  feeId?: string | undefined;
  feeType?: FeeType | undefined;
  description?: string | undefined;
  dueMinor: number;
  owedBeforeMinor?: number | undefined;
  transactionId: string;
}

export class PaymentStore {
  constructor(private readonly db: Database) {
    migrate(db, 'payments', PAYMENT_MIGRATIONS);
  }

  create(
    payment: Omit<
      PaymentRow,
      | 'ended_at'
      | 'end_reason'
      | 'to_print_minor'
      | 'owed_to_patron_minor'
      | 'paid_out_minor'
      | 'settled_minor'
    >,
    lines: NewLine[],
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO payments (id, terminal, patron, patron_name, purpose, currency, amount_due_minor, state, devices, started_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          payment.id,
          payment.terminal,
          payment.patron,
          payment.patron_name,
          payment.purpose,
          payment.currency,
          payment.amount_due_minor,
          payment.state,
          payment.devices,
          payment.started_at,
        );
      for (const [index, line] of lines.entries())
        this.insertLine(payment.id, index, line, payment.started_at);
    }, 'immediate');
  }

  addLine(payment: string, line: NewLine, at: number): number {
    const next = this.db
      .prepare('SELECT COALESCE(MAX(line), -1) + 1 AS n FROM payment_lines WHERE payment = ?')
      .get(payment) as { n: number };
    this.insertLine(payment, next.n, line, at);
    return next.n;
  }

  private insertLine(payment: string, index: number, line: NewLine, at: number): void {
    this.db
      .prepare(
        `INSERT INTO payment_lines (payment, line, kind, fee_id, fee_type, description, due_minor, owed_before_minor,
           transaction_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        payment,
        index,
        line.kind,
        line.feeId ?? null,
        line.feeType ?? null,
        line.description ?? null,
        line.dueMinor,
        line.owedBeforeMinor ?? null,
        line.transactionId,
        at,
      );
  }

  get(id: string): PaymentRow | undefined {
    return this.db.prepare('SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow | undefined;
  }

  lines(id: string): LineRow[] {
    return this.db
      .prepare('SELECT * FROM payment_lines WHERE payment = ? ORDER BY line')
      .all(id) as LineRow[];
  }

  /**
   * Ended payments that owe the patron money staff have not paid out yet, newest first: an excess
   * or a refused fee (owed_to_patron_minor), or credits read after the payment was settled (a
   * device out of reach as it ended; they are in the cash credit journal, held by the payment).
   */
  owing(limit: number): PaymentRow[] {
    return this.db
      .prepare(
        `SELECT * FROM payments p
          WHERE p.state IN ('completed', 'cancelled')
            AND (p.owed_to_patron_minor > p.paid_out_minor
              OR (p.settled_minor IS NOT NULL
                AND (SELECT COALESCE(SUM(c.value_minor), 0) FROM cash_credits c WHERE c.holder = p.id)
                  > p.settled_minor))
          ORDER BY p.ended_at DESC LIMIT ?`,
      )
      .all(limit) as PaymentRow[];
  }

  /**
   * Ended payments with a line that failed and that staff have not checked yet, newest first: money
   * the patron put in that the ILS (or the print account) may or may not have — staff check the
   * patron's account there.
   */
  withFailedLines(limit: number): PaymentRow[] {
    return this.db
      .prepare(
        `SELECT * FROM payments p
          WHERE p.state IN ('completed', 'cancelled')
            AND EXISTS (SELECT 1 FROM payment_lines l WHERE l.payment = p.id AND ${UNCHECKED_FAILED})
          ORDER BY p.ended_at DESC LIMIT ?`,
      )
      .all(limit) as PaymentRow[];
  }

  /**
   * Forgets who the payments that ended before `before` (epoch ms) were for — the patron's barcode
   * and name, the ILS's messages on their lines (an ILS may greet the patron by name) and staff's
   * note on their check — once nothing of them is left to do: nothing owed back (owing's test), no
   * line pending, posting or journaled, and none failed that staff have not checked. The amounts, fees and states stay. Returns how many payments were forgotten.
   */
  forgetPatrons(before: number): number {
    return this.db.transaction(() => {
      const done = `p.state IN ('completed', 'cancelled') AND p.ended_at < ? AND p.patron != ''
        AND p.owed_to_patron_minor <= p.paid_out_minor
        AND (p.settled_minor IS NULL
          OR (SELECT COALESCE(SUM(c.value_minor), 0) FROM cash_credits c WHERE c.holder = p.id) <= p.settled_minor)
        AND NOT EXISTS (SELECT 1 FROM payment_lines l WHERE l.payment = p.id
          AND (l.state IN ('pending', 'posting', 'journaled') OR (${UNCHECKED_FAILED})))`;
      this.db
        .prepare(
          `UPDATE payment_lines SET message = NULL
            WHERE message IS NOT NULL AND payment IN (SELECT p.id FROM payments p WHERE ${done})`,
        )
        .run(before);
      // Staff's note on their check may name the patron too.
      this.db
        .prepare(
          `UPDATE payment_checks SET note = NULL
            WHERE note IS NOT NULL AND payment IN (SELECT p.id FROM payments p WHERE ${done})`,
        )
        .run(before);
      const forgotten = Number(
        this.db.prepare(`UPDATE payments AS p SET patron = '', patron_name = '' WHERE ${done}`).run(before)
          .changes,
      );
      return forgotten;
    }, 'immediate');
  }

  /** Payments not completed or cancelled: what a restart must go on with. */
  unfinished(): PaymentRow[] {
    return this.db
      .prepare("SELECT * FROM payments WHERE state IN ('collecting', 'settling') ORDER BY started_at")
      .all() as PaymentRow[];
  }

  setState(
    id: string,
    state: PaymentState,
    end?: { at: number; reason: NonNullable<PaymentView['endReason']> },
  ): void {
    this.db
      .prepare(
        'UPDATE payments SET state = ?, ended_at = COALESCE(?, ended_at), end_reason = COALESCE(?, end_reason) WHERE id = ?',
      )
      .run(state, end?.at ?? null, end?.reason ?? null, id);
  }

  /** A line's money and state, committed before (posting) or after (posted…) it goes out. */
  setLine(
    payment: string,
    line: number,
    change: { paidMinor?: number; state: PaymentLineState; message?: string | null },
    at: number,
  ): void {
    this.db
      .prepare(
        `UPDATE payment_lines SET paid_minor = COALESCE(?, paid_minor), state = ?, message = COALESCE(?, message),
         updated_at = ? WHERE payment = ? AND line = ?`,
      )
      .run(change.paidMinor ?? null, change.state, change.message ?? null, at, payment, line);
  }

  /** The credits the payment is settled with, committed before it is settled. */
  setSettled(id: string, paidMinor: number): void {
    this.db.prepare('UPDATE payments SET settled_minor = ? WHERE id = ?').run(paidMinor, id);
  }

  setOverpayment(id: string, toPrintMinor: number, owedToPatronMinor: number): void {
    this.db
      .prepare('UPDATE payments SET to_print_minor = ?, owed_to_patron_minor = ? WHERE id = ?')
      .run(toPrintMinor, owedToPatronMinor, id);
  }

  /** Staff's check of the payment, if it was checked. */
  checkOf(id: string): CheckRow | undefined {
    return this.db.prepare('SELECT * FROM payment_checks WHERE payment = ?').get(id) as CheckRow | undefined;
  }

  /** Records staff's check of a payment (once: a second is refused by the table's key). */
  check(row: CheckRow): void {
    this.db
      .prepare('INSERT INTO payment_checks (payment, outcome, note, staff, at) VALUES (?, ?, ?, ?, ?)')
      .run(row.payment, row.outcome, row.note, row.staff, row.at);
  }

  /** The payouts recorded on a payment, oldest first. */
  payoutsOf(id: string): PayoutRow[] {
    return this.db
      .prepare('SELECT amount_minor, staff, at FROM payment_payouts WHERE payment = ? ORDER BY id')
      .all(id) as unknown as PayoutRow[];
  }

  payOut(id: string, amountMinor: number, staff: string, at: number): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO payment_payouts (payment, amount_minor, staff, at) VALUES (?, ?, ?, ?)')
        .run(id, amountMinor, staff, at);
      this.db
        .prepare('UPDATE payments SET paid_out_minor = paid_out_minor + ? WHERE id = ?')
        .run(amountMinor, id);
    }, 'immediate');
  }
}
