/**
 * The credit journal: every coin and note a cash device took, in SQLite,
 * committed (WAL, synchronous=FULL) before anything acts on it — before the
 * driver takes the device's event counter as read, before the kiosk hears of
 * it. A reading's credits and the device's new counter are one transaction,
 * so a crash at any point either leaves both (the events are not read again)
 * or neither (they are read again from the device's buffer): nothing is
 * credited twice, nothing lost.
 *
 * Each credit is journaled with its holder: the payment session that held the
 * device when it was read (the hold is journaled too). A credit with no holder,
 * and money that may have gone in but cannot be credited (unverified), wait for
 * staff in the cash box report. No patron data here.
 */
import type { CashDeviceKind, CashEventBatch, StoredCounter } from '../../../devices/cash/index.js';
import { type Database, migrate } from '../../storage/index.js';

export const CASH_CREDIT_MIGRATIONS = [
  `CREATE TABLE cash_counters (
    device TEXT PRIMARY KEY,
    counter INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE cash_holders (
    device TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    since INTEGER NOT NULL
  );
  CREATE TABLE cash_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    device_kind TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('credit', 'unverified')),
    channel INTEGER,
    currency TEXT,
    value_minor INTEGER,
    reason TEXT,
    counter INTEGER NOT NULL,
    holder TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX cash_credits_by_holder ON cash_credits (holder, id);
  CREATE INDEX cash_credits_by_device ON cash_credits (device, id);
  CREATE INDEX cash_credits_by_time ON cash_credits (at);
  CREATE TABLE cash_box_emptyings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    at INTEGER NOT NULL,
    emptied_by TEXT NOT NULL,
    last_credit INTEGER NOT NULL,
    expected_minor INTEGER NOT NULL,
    currency TEXT,
    counted_minor INTEGER,
    variance_minor INTEGER,
    note TEXT
  );
  CREATE INDEX cash_box_emptyings_by_device ON cash_box_emptyings (device, id);`,
  // The serial number of the device each counter was read from: a spare fitted under the same id
  // has a counter of its own (NULL: journaled before this step).
  'ALTER TABLE cash_counters ADD COLUMN serial INTEGER;',
];

export interface CreditRow {
  id: number;
  device: string;
  device_kind: CashDeviceKind;
  kind: 'credit' | 'unverified';
  channel: number | null;
  currency: string | null;
  value_minor: number | null;
  reason: string | null;
  counter: number;
  holder: string | null;
  at: number;
}

/**
 * After a restore from a backup: the event counters it holds are behind the devices' own (coins
 * taken since), and up to a buffer's worth of events between would be read as new and credited a
 * second time. Forgotten, each device's counter is taken as the starting point at its next poll, as
 * at first sight. Returns how many devices' counters went.
 */
export function forgetCashCountersAfterRestore(db: Database): number {
  const table = db
    .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'cash_counters'")
    .get();
  return table ? db.prepare('DELETE FROM cash_counters').run().changes : 0;
}

export class CreditJournal {
  private readonly statements;

  constructor(private readonly db: Database) {
    migrate(db, 'cash-credits', CASH_CREDIT_MIGRATIONS);
    this.statements = {
      counter: db.prepare('SELECT counter, serial FROM cash_counters WHERE device = ?'),
      setCounter: db.prepare(
        `INSERT INTO cash_counters (device, counter, serial, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (device) DO UPDATE
           SET counter = excluded.counter, serial = excluded.serial, updated_at = excluded.updated_at`,
      ),
      holder: db.prepare('SELECT holder FROM cash_holders WHERE device = ?'),
      hold: db.prepare(
        `INSERT INTO cash_holders (device, holder, since) VALUES (?, ?, ?)
         ON CONFLICT (device) DO UPDATE SET holder = excluded.holder, since = excluded.since`,
      ),
      release: db.prepare('DELETE FROM cash_holders WHERE device = ? AND holder = ?'),
      holders: db.prepare('SELECT device, holder FROM cash_holders'),
      insert: db.prepare(
        `INSERT INTO cash_credits (device, device_kind, kind, channel, currency, value_minor, reason, counter, holder, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare('SELECT * FROM cash_credits WHERE id = ?'),
      ofHolder: db.prepare("SELECT * FROM cash_credits WHERE holder = ? AND kind = 'credit' ORDER BY id"),
      uncountedOf: db.prepare(
        "SELECT * FROM cash_credits WHERE holder = ? AND kind = 'unverified' ORDER BY id",
      ),
    };
  }

  /** The device's last counter, and the serial number of the device it was read from. */
  lastCounter(device: string): StoredCounter | undefined {
    const row = this.statements.counter.get(device) as StoredCounter | undefined;
    return row && { counter: row.counter, serial: row.serial };
  }

  holder(device: string): string | null {
    return (this.statements.holder.get(device) as { holder: string } | undefined)?.holder ?? null;
  }

  /** Every device held now, and by whom (a restart finds the holds it left). */
  holders(): Array<{ device: string; holder: string }> {
    return this.statements.holders.all() as Array<{ device: string; holder: string }>;
  }

  /** The device is held by `holder` from now on; committed when this returns. */
  hold(device: string, holder: string, at: number): void {
    this.statements.hold.run(device, holder, at);
  }

  release(device: string, holder: string): void {
    this.statements.release.run(device, holder);
  }

  /**
   * Journals one reading of a device: its credits and unverified money, with
   * the holder of the moment, and its new counter with the serial number of the
   * device read — one transaction. Returns the rows written.
   */
  commit(
    device: string,
    deviceKind: CashDeviceKind,
    batch: CashEventBatch,
    at: number,
    serial: number | null = null,
  ): CreditRow[] {
    return this.db.transaction(() => {
      const holder = this.holder(device);
      const ids: number[] = [];
      for (const credit of batch.credits) {
        const { lastInsertRowid } = this.statements.insert.run(
          device,
          deviceKind,
          'credit',
          credit.channel,
          credit.currency,
          credit.valueMinor,
          null,
          batch.counter,
          holder,
          at,
        );
        ids.push(Number(lastInsertRowid));
      }
      for (const money of batch.unverified) {
        const { lastInsertRowid } = this.statements.insert.run(
          device,
          deviceKind,
          'unverified',
          money.channel ?? null,
          money.currency ?? null,
          money.valueMinor ?? null,
          money.reason,
          batch.counter,
          holder,
          at,
        );
        ids.push(Number(lastInsertRowid));
      }
      this.statements.setCounter.run(device, batch.counter, serial, at);
      return ids.map((id) => this.statements.byId.get(id) as CreditRow);
    }, 'immediate');
  }

  /** The credits journaled for a holder (a payment session), in order. */
  creditsOf(holder: string): CreditRow[] {
    return this.statements.ofHolder.all(holder) as CreditRow[];
  }

  /**
   * What may have gone in while a holder held the device but could not be credited (events lost
   * past the buffer, a note of an unknown type): the patron is told, staff count the cash box.
   */
  uncountedOf(holder: string): CreditRow[] {
    return this.statements.uncountedOf.all(holder) as CreditRow[];
  }
}
