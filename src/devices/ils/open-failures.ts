/**
 * How an ILS connection that could not be opened reaches the log. While the ILS is away
 * every connection fails alike, on every reconnect: said once as a warning, again when the
 * failure changes and every ten minutes while it lasts, each other attempt at debug.
 */
import type { FailureStreak } from '../../core/failure-streak.js';
import type { Logger } from '../../core/logger.js';

export function logOpenFailure(
  logger: Logger,
  failures: FailureStreak,
  connection: number,
  error: { code: string; message: string },
): void {
  const note = failures.failed(error.code, error.message);
  if (!note.say) {
    logger.debug({ connection, error }, 'ILS connection failed');
    return;
  }
  logger.warn(
    {
      connection,
      error,
      ...(note.reminder ? { attempts: note.attempts, failingSince: new Date(note.since).toISOString() } : {}),
    },
    note.reminder ? 'ILS connections still failing' : 'ILS connection failed',
  );
}
