/**
 * The offline journal of a database restored from a backup. A transaction
 * that was pending in the backup may have been replayed to the ILS after the
 * backup was taken: sent again, an old checkin would end the loan of whoever
 * borrowed the item since, and a checkout or a fee payment would be done a
 * second time. Nothing in the backup can tell, so each one is put in conflict
 * for staff (the dashboard, `POST /offline/transactions/:id/resolve`): they
 * look it up at the ILS, then retry or discard it.
 */
import type { Database } from '../storage/index.js';

export const RESTORED_FROM_BACKUP = 'restored_from_backup';

/** Puts the journal's pending and replaying transactions in conflict; how many. */
export function holdUnsettledAfterRestore(db: Database, backupTakenAt: Date, now = Date.now()): number {
  const journal = db
    .prepare("SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = 'offline_transactions'")
    .get();
  if (!journal) return 0;
  const message =
    `restored from a backup of ${backupTakenAt.toISOString()}: it may have reached the ILS after ` +
    'the backup was taken; look it up at the ILS, then retry or discard it';
  return db
    .prepare(
      `UPDATE offline_transactions SET state = 'conflict', reason = ?, message = ?, settled_at = ?
       WHERE state IN ('pending', 'replaying')`,
    )
    .run(RESTORED_FROM_BACKUP, message, now).changes;
}
