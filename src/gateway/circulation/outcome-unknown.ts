/**
 * A request that changes something at the ILS whose answer was lost — none came, or none could be
 * read however often asked for (97) — that nothing settled (the item looked up, the fee list read)
 * and nothing journaled: the ILS may have done it. The kiosk hears so, with the ILS error's own
 * code: in words (check at the ILS before doing it again) and as `answerLost`, the word a session's
 * item and renewal use for the same doubt, a field of the API's problem. Its request id is kept in
 * doubt as before (request-ids): sent again, it is refused, never done twice.
 */
import { IlsError } from '../../devices/ils/index.js';
import type { CirculationKind } from './reasons.js';

/** What changes something at the ILS: a lookup whose answer was lost did nothing. */
const CHANGES: ReadonlySet<CirculationKind> = new Set([
  'checkout',
  'checkin',
  'renew',
  'renewAll',
  'hold',
  'holdCancel',
  'feePaid',
]);

/** The error a `kind` request failed with, saying the ILS may have done it when it may have. */
export function mayHaveBeenDone(kind: CirculationKind, error: unknown): unknown {
  if (!(error instanceof IlsError) || !error.answerLost || !CHANGES.has(kind)) return error;
  return new IlsError(
    error.code,
    `${error.message}: it may have been done all the same — check at the ILS before doing it again`,
    { requestSent: true, cause: error, details: { answerLost: true } },
  );
}
