/**
 * Payments per UTC hour (or quarter hour), from the journals themselves: the cash taken (every
 * credit a device journaled, coins and notes apart), the fees paid by type
 * (posted, journaled to post, or failed and found paid by staff's check — counted when it was
 * settled), the print top-ups (and overpayments put on
 * print accounts), the payments ended. No patron data.
 */
import type { PaymentStatisticsRow } from '../contracts/payments.js';
import type { Database } from '../storage/index.js';

export const HOUR_MS = 3_600_000;
/** A quarter hour: every zone and clock change is a whole number of them from UTC. */
export const QUARTER_MS = 900_000;
/** The longest range one query may span. */
export const PAYMENT_STATISTICS_MAX_DAYS = 366;

/** The rows of [from, to), one per `stepMs` (an hour, or a quarter hour) and currency. */
export function paymentStatistics(
  db: Database,
  from: number,
  to: number,
  stepMs: number = HOUR_MS,
): PaymentStatisticsRow[] {
  const rows = new Map<string, PaymentStatisticsRow>();
  const row = (hour: number, currency: string) => {
    const key = `${hour}\u0000${currency}`;
    let found = rows.get(key);
    if (!found) {
      found = {
        hour: new Date(hour * stepMs).toISOString(),
        currency,
        cashTakenMinor: 0,
        cashTakenByDeviceMinor: {},
        coins: 0,
        notes: 0,
        feesPaidMinor: {},
        topUpsMinor: 0,
        payments: 0,
      };
      rows.set(key, found);
    }
    return found;
  };
  const cash = db
    .prepare(
      `SELECT at / ${stepMs} AS hour, currency, device, device_kind AS kind, COUNT(*) AS n, SUM(value_minor) AS total
       FROM cash_credits WHERE kind = 'credit' AND at >= ? AND at < ? GROUP BY hour, currency, device, device_kind`,
    )
    .all(from, to) as Array<{
    hour: number;
    currency: string;
    device: string;
    kind: string;
    n: number;
    total: number;
  }>;
  for (const entry of cash) {
    const target = row(Math.floor(entry.hour), entry.currency);
    target.cashTakenMinor += entry.total;
    target.cashTakenByDeviceMinor[entry.device] =
      (target.cashTakenByDeviceMinor[entry.device] ?? 0) + entry.total;
    if (entry.kind === 'coin-acceptor') target.coins += entry.n;
    else target.notes += entry.n;
  }
  const lines = db
    .prepare(
      `SELECT l.updated_at / ${stepMs} AS hour, p.currency, l.kind, COALESCE(l.fee_type, 'other') AS type,
         SUM(l.paid_minor) AS total
       FROM payment_lines l JOIN payments p ON p.id = l.payment
       WHERE (l.state IN ('posted', 'journaled')
           OR (l.state = 'failed' AND EXISTS (SELECT 1 FROM payment_checks k WHERE k.payment = l.payment)))
         AND l.updated_at >= ? AND l.updated_at < ?
       GROUP BY hour, p.currency, l.kind, type`,
    )
    .all(from, to) as Array<{ hour: number; currency: string; kind: string; type: string; total: number }>;
  for (const entry of lines) {
    const target = row(Math.floor(entry.hour), entry.currency);
    if (entry.kind === 'fee')
      target.feesPaidMinor[entry.type] = (target.feesPaidMinor[entry.type] ?? 0) + entry.total;
    else target.topUpsMinor += entry.total;
  }
  const ended = db
    .prepare(
      `SELECT ended_at / ${stepMs} AS hour, currency, COUNT(*) AS n FROM payments
       WHERE state = 'completed' AND ended_at >= ? AND ended_at < ? GROUP BY hour, currency`,
    )
    .all(from, to) as Array<{ hour: number; currency: string; n: number }>;
  for (const entry of ended) row(Math.floor(entry.hour), entry.currency).payments += entry.n;
  return [...rows.values()].sort(
    (a, b) => a.hour.localeCompare(b.hour) || a.currency.localeCompare(b.currency),
  );
}
