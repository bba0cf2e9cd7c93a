import { CarrelError } from '../../core/errors.js';
import type { SessionEndReason } from '../contracts/sessions.js';

export type SessionErrorCode =
  | 'session_not_found'
  | 'session_ended'
  | 'session_limit_reached'
  | 'pad_in_use'
  | 'scanner_in_use'
  | 'session_on_another_screen'
  | 'session_screen_away'
  | 'screen_required'
  | 'patron_scan_not_found'
  | 'pin_required'
  | 'patron_required'
  | 'patron_card_not_found'
  | 'patron_card_ambiguous'
  | 'no_receipt_printer'
  | 'item_outcome_unknown';

/** A session request that cannot be done as asked. The HTTP layer maps the code to a status. */
export class SessionError extends CarrelError {
  constructor(
    override readonly code: SessionErrorCode,
    message: string,
    /** Fields of the API's problem beside the code: `session_ended`'s session (its id), endReason and endMessage. */
    details?: Readonly<Record<string, string>>,
  ) {
    super(code, message, details === undefined ? undefined : { details });
  }
}

/**
 * A session that has ended (or is ending), refused in words: why it ended, once it has — also as
 * the problem's `session` (its id), `endReason` and `endMessage`, for a kiosk to branch on and show.
 */
export function sessionEnded(session: {
  id: string;
  endReason: SessionEndReason | undefined;
  endMessage(): string | undefined;
}): SessionError {
  const why = session.endMessage();
  const reason = session.endReason;
  if (why === undefined || reason === undefined)
    return new SessionError('session_ended', `session "${session.id}" is ending`, { session: session.id });
  return new SessionError('session_ended', `session "${session.id}" has ended. ${why}`, {
    session: session.id,
    endReason: reason,
    endMessage: why,
  });
}
